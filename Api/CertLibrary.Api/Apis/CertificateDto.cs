using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CertLibrary.CertStore.Model;

namespace CertLibrary.Api.Apis;

/// <summary>
/// The certificate as the API returns it (SPEC §3): the signed payload's members, then status, reason code, reason and
/// signature. <c>statusReason</c> (the free text) is null unless the reader may see it (issuer, holder, administrator).
/// </summary>
public static class CertificateDto
{
    public static JsonObject From(Certificate certificate)
    {
        var json = JsonSerializer.SerializeToNode(certificate.Payload, CertStoreJson.Options)!.AsObject();
        json["status"] = certificate.Status;
        json["statusReasonCode"] = certificate.StatusReasonCode;
        json["statusReason"] = certificate.StatusReason;
        if (certificate.SupersededBy is not null)
        {
            json["supersededBy"] = certificate.SupersededBy;
        }

        json["signature"] = certificate.Signature.DeepClone();
        return json;
    }
}

/// <summary>
/// A certificate in the same JSON as <see cref="CertificateDto.From"/>, written from fragments serialised once: the
/// payload and the JWS are immutable and shared by every read of one cached row (see <c>CertificateManager</c>), so
/// their bytes are kept with those instances and dropped with them; status, reason and successor are written fresh
/// from the certificate on every answer.
/// </summary>
[JsonConverter(typeof(CertificateJsonConverter))]
public sealed class CertificateJson(Certificate certificate)
{
    internal Certificate Certificate { get; } = certificate;
}

internal sealed class CertificateJsonConverter : JsonConverter<CertificateJson>
{
    private static readonly ConditionalWeakTable<CertificatePayload, byte[]> Payloads = new();
    private static readonly ConditionalWeakTable<JsonObject, byte[]> Signatures = new();
    private static readonly JsonWriterOptions MemberOptions = new() { Encoder = CertStoreJson.Options.Encoder, SkipValidation = true };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_members;

    public override CertificateJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Certificates are written, never read, through this type.");

    public override void Write(Utf8JsonWriter writer, CertificateJson value, JsonSerializerOptions options)
    {
        var certificate = value.Certificate;
        var payload = Payloads.GetValue(certificate.Payload, p => JsonSerializer.SerializeToUtf8Bytes(p, CertStoreJson.Options));
        var signature = Signatures.GetValue(certificate.Signature, s => JsonSerializer.SerializeToUtf8Bytes(s, CertStoreJson.Options));
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        buffer.Write(payload.AsSpan(0, payload.Length - 1)); // the payload object without its closing brace
        buffer.Write(","u8);
        var members = t_members ??= new Utf8JsonWriter(buffer, MemberOptions);
        members.Reset(buffer);
        members.WriteString("status", certificate.Status);
        WriteNullable(members, "statusReasonCode", certificate.StatusReasonCode);
        WriteNullable(members, "statusReason", certificate.StatusReason);

        if (certificate.SupersededBy is not null)
        {
            members.WriteString("supersededBy", certificate.SupersededBy);
        }

        members.WritePropertyName("signature");
        members.WriteRawValue(signature, skipInputValidation: true);
        members.Flush();
        buffer.Write("}"u8);
        writer.WriteRawValue(buffer.WrittenSpan, skipInputValidation: true);
    }

    private static void WriteNullable(Utf8JsonWriter members, string name, string? value)
    {
        if (value is null)
        {
            members.WriteNull(name);
        }
        else
        {
            members.WriteString(name, value);
        }
    }
}
