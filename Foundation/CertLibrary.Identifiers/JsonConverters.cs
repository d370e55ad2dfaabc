using System.Text.Json;
using System.Text.Json.Serialization;

namespace CertLibrary.Identifiers;

/// <summary>Reads and writes a <see cref="CitizenId"/> as its string form; bad input throws <see cref="JsonException"/> naming the failed rule.</summary>
public sealed class CitizenIdJsonConverter : JsonConverter<CitizenId>
{
    /// <inheritdoc/>
    public override CitizenId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        CitizenId.TryParse(JsonText.Read(ref reader), out var value, out var error) ? value : throw new JsonException(error);

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, CitizenId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());

    /// <inheritdoc/>
    public override CitizenId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options);

    /// <inheritdoc/>
    public override void WriteAsPropertyName(Utf8JsonWriter writer, CitizenId value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.ToString());
}

/// <summary>Reads and writes a <see cref="CreditCode"/> as its string form; bad input throws <see cref="JsonException"/> naming the failed rule.</summary>
public sealed class CreditCodeJsonConverter : JsonConverter<CreditCode>
{
    /// <inheritdoc/>
    public override CreditCode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        CreditCode.TryParse(JsonText.Read(ref reader), out var value, out var error) ? value : throw new JsonException(error);

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, CreditCode value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());

    /// <inheritdoc/>
    public override CreditCode ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options);

    /// <inheritdoc/>
    public override void WriteAsPropertyName(Utf8JsonWriter writer, CreditCode value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.ToString());
}

/// <summary>Reads and writes a <see cref="CertificateTypeCode"/> as its string form; bad input throws <see cref="JsonException"/> naming the failed rule.</summary>
public sealed class CertificateTypeCodeJsonConverter : JsonConverter<CertificateTypeCode>
{
    /// <inheritdoc/>
    public override CertificateTypeCode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        CertificateTypeCode.TryParse(JsonText.Read(ref reader), out var value, out var error) ? value : throw new JsonException(error);

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, CertificateTypeCode value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());

    /// <inheritdoc/>
    public override CertificateTypeCode ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options);

    /// <inheritdoc/>
    public override void WriteAsPropertyName(Utf8JsonWriter writer, CertificateTypeCode value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.ToString());
}

/// <summary>Reads and writes a <see cref="CertificateId"/> as its string form; bad input throws <see cref="JsonException"/> naming the failed rule.</summary>
public sealed class CertificateIdJsonConverter : JsonConverter<CertificateId>
{
    /// <inheritdoc/>
    public override CertificateId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        CertificateId.TryParse(JsonText.Read(ref reader), out var value, out var error) ? value : throw new JsonException(error);

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, CertificateId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());

    /// <inheritdoc/>
    public override CertificateId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options);

    /// <inheritdoc/>
    public override void WriteAsPropertyName(Utf8JsonWriter writer, CertificateId value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.ToString());
}

internal static class JsonText
{
    public static string? Read(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String or JsonTokenType.PropertyName => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"expected a JSON string but found {reader.TokenType}"),
    };
}
