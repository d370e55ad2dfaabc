using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CertLibrary.Identifiers;

/// <summary>An identifier value type that parses with the reason it was refused (<see cref="CitizenId"/>, <see cref="CreditCode"/>, ...).</summary>
/// <typeparam name="TSelf">The identifier type.</typeparam>
public interface IIdentifier<TSelf>
    where TSelf : struct, IIdentifier<TSelf>
{
    /// <summary>Tries to parse <paramref name="s"/>; on failure <paramref name="error"/> names the rule that failed.</summary>
    static abstract bool TryParse([NotNullWhen(true)] string? s, out TSelf value, [NotNullWhen(false)] out string? error);
}

/// <summary>Reads and writes an identifier as its string form; bad input throws <see cref="JsonException"/> naming the failed rule.</summary>
/// <typeparam name="T">The identifier type.</typeparam>
public sealed class IdentifierJsonConverter<T> : JsonConverter<T>
    where T : struct, IIdentifier<T>
{
    /// <inheritdoc/>
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        T.TryParse(JsonText.Read(ref reader), out var value, out var error) ? value : throw new JsonException(error);

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());

    /// <inheritdoc/>
    public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options);

    /// <inheritdoc/>
    public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.ToString()!);
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
