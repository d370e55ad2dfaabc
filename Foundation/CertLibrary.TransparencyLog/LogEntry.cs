using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CertLibrary.TransparencyLog;

/// <summary>
/// One transparency log entry (SPEC §7). It holds no personal data: only the event, the ids it concerns, the
/// hash of the signed payload, the department, the time and a reason code.
/// </summary>
/// <remarks>
/// The leaf input hashed into the tree is the canonical UTF-8 JSON of the entry (<see cref="ToLeafInput"/>). Version 2
/// (written now): members in the order <c>v, eventType, certificateId, kid, payloadHash, departmentCode, time,
/// reasonCode</c> with <c>v</c> the number <c>2</c> and <c>reasonCode</c> a code such as <c>holderRequest</c> (ASCII
/// letters only, never free text). Version 1 (entries written before): no <c>v</c>, and <c>reason</c>, a free text, in
/// place of <c>reasonCode</c>; such entries still decode and verify, and are never rewritten. Both: camelCase, no
/// whitespace, null members omitted, strings escaped as RFC 8785 does (only <c>"</c>, <c>\</c> and control characters;
/// everything else, including non-ASCII text, as raw UTF-8), and <c>time</c> as RFC 3339 UTC with a <c>Z</c> suffix
/// and the fractional seconds without trailing zeros (none at all for a whole second). Equal entries give equal bytes.
/// </remarks>
/// <param name="EventType">One of <see cref="LogEventTypes"/>.</param>
/// <param name="CertificateId">The certificate concerned; required for certificate events, null for key events.</param>
/// <param name="Kid">The key id concerned; required for key events, optional for certificate events (the signing key).</param>
/// <param name="PayloadHash">Base64 of the SHA-256 of the signed payload (32 bytes), or null.</param>
/// <param name="DepartmentCode">The code of the department that caused the event.</param>
/// <param name="Time">When the event happened; written in UTC.</param>
/// <param name="ReasonCode">The reason code of the event (version 2), or null.</param>
public sealed record LogEntry(
    string EventType,
    string? CertificateId,
    string? Kid,
    string? PayloadHash,
    string DepartmentCode,
    DateTimeOffset Time,
    string? ReasonCode)
{
    /// <summary>The entry format written by <see cref="ToLeafInput"/> unless <see cref="Version"/> says otherwise.</summary>
    public const int CurrentVersion = 2;

    /// <summary>Longest reason code a version 2 entry accepts.</summary>
    public const int MaxReasonCodeLength = 40;

    private const string TimeFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF'Z'";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The entry format: 2 (with <see cref="ReasonCode"/>) or 1 (entries written before, with <see cref="Reason"/>).</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>The free-text reason of a version 1 entry; always null in version 2.</summary>
    public string? Reason { get; init; }

    /// <summary>Encodes the entry as the canonical UTF-8 JSON that is hashed into the leaf.</summary>
    /// <returns>The leaf input bytes.</returns>
    /// <exception cref="InvalidOperationException">The entry is not valid (unknown event type, missing id, malformed hash).</exception>
    public byte[] ToLeafInput()
    {
        Validate();
        var json = new StringBuilder(256);
        json.Append('{');
        if (Version != 1)
        {
            json.Append("\"v\":").Append(Version.ToString(CultureInfo.InvariantCulture));
        }

        Member(json, "eventType", EventType);
        Member(json, "certificateId", CertificateId);
        Member(json, "kid", Kid);
        Member(json, "payloadHash", PayloadHash);
        Member(json, "departmentCode", DepartmentCode);
        Member(json, "time", FormatTime(Time));
        Member(json, "reason", Reason);
        Member(json, "reasonCode", ReasonCode);
        json.Append('}');
        try
        {
            return StrictUtf8.GetBytes(json.ToString());
        }
        catch (EncoderFallbackException ex)
        {
            throw new InvalidOperationException("A log entry string holds an unpaired surrogate.", ex);
        }
    }

    /// <summary>Decodes a leaf input written by <see cref="ToLeafInput"/>.</summary>
    /// <param name="leafInput">The leaf input bytes.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="FormatException">
    /// The bytes are not the canonical encoding of a valid entry (bad JSON, unknown or duplicate members,
    /// whitespace, other member order or escaping, invalid values).
    /// </exception>
    public static LogEntry FromLeafInput(byte[] leafInput)
    {
        ArgumentNullException.ThrowIfNull(leafInput);
        LogEntry entry;
        try
        {
            using var document = JsonDocument.Parse(leafInput);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("A log entry must be a JSON object.");
            }

            var version = 1;
            if (root.TryGetProperty("v", out var v))
            {
                if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out version) || version != CurrentVersion)
                {
                    throw new FormatException($"The log entry version must be {CurrentVersion} (or absent, for version 1).");
                }
            }

            var time = Required(root, "time");
            if (!time.EndsWith('Z')
                || !DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsedTime))
            {
                throw new FormatException("The log entry time is not an RFC 3339 UTC time.");
            }

            entry = new LogEntry(
                Required(root, "eventType"),
                Optional(root, "certificateId"),
                Optional(root, "kid"),
                Optional(root, "payloadHash"),
                Required(root, "departmentCode"),
                parsedTime,
                Optional(root, "reasonCode"))
            {
                Version = version,
                Reason = Optional(root, "reason"),
            };
        }
        catch (JsonException ex)
        {
            throw new FormatException("A log entry is not valid JSON.", ex);
        }

        byte[] canonical;
        try
        {
            canonical = entry.ToLeafInput();
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException(ex.Message, ex);
        }

        if (!canonical.AsSpan().SequenceEqual(leafInput))
        {
            throw new FormatException("The log entry is not in canonical form (member order, escaping, whitespace, time format or unknown members).");
        }

        return entry;
    }

    private void Validate()
    {
        if (Version is not (1 or CurrentVersion))
        {
            throw new InvalidOperationException($"Log entry version {Version} is not known.");
        }

        if (Version == 1 && ReasonCode is not null)
        {
            throw new InvalidOperationException("A version 1 log entry has no reason code.");
        }

        if (Version != 1 && Reason is not null)
        {
            throw new InvalidOperationException("A version 2 log entry carries a reason code, never a free-text reason.");
        }

        if (ReasonCode is not null && (ReasonCode.Length is 0 or > MaxReasonCodeLength || !ReasonCode.All(char.IsAsciiLetter)))
        {
            throw new InvalidOperationException($"A reason code is 1 to {MaxReasonCodeLength} ASCII letters.");
        }

        if (!LogEventTypes.IsCertificateEvent(EventType) && !LogEventTypes.IsKeyEvent(EventType))
        {
            throw new InvalidOperationException($"'{EventType}' is not a log event type.");
        }

        if (LogEventTypes.IsCertificateEvent(EventType) && string.IsNullOrEmpty(CertificateId))
        {
            throw new InvalidOperationException($"A '{EventType}' entry needs a certificate id.");
        }

        if (LogEventTypes.IsKeyEvent(EventType) && string.IsNullOrEmpty(Kid))
        {
            throw new InvalidOperationException($"A '{EventType}' entry needs a kid.");
        }

        if (string.IsNullOrEmpty(DepartmentCode))
        {
            throw new InvalidOperationException("A log entry needs a department code.");
        }

        if (PayloadHash is not null)
        {
            Span<byte> decoded = stackalloc byte[MerkleHash.Size + 3];
            if (!Convert.TryFromBase64String(PayloadHash, decoded, out var written) || written != MerkleHash.Size
                || Convert.ToBase64String(decoded[..written]) != PayloadHash)
            {
                throw new InvalidOperationException("The payload hash must be the base64 of 32 bytes.");
            }
        }
    }

    private static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static string Required(JsonElement root, string name) =>
        Optional(root, name) ?? throw new FormatException($"The log entry has no '{name}'.");

    private static string? Optional(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new FormatException($"The log entry member '{name}' must be a string.");
    }

    private static void Member(StringBuilder json, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (json.Length > 1)
        {
            json.Append(',');
        }

        json.Append('"').Append(name).Append("\":\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    json.Append("\\\"");
                    break;
                case '\\':
                    json.Append("\\\\");
                    break;
                case '\b':
                    json.Append("\\b");
                    break;
                case '\f':
                    json.Append("\\f");
                    break;
                case '\n':
                    json.Append("\\n");
                    break;
                case '\r':
                    json.Append("\\r");
                    break;
                case '\t':
                    json.Append("\\t");
                    break;
                case < ' ':
                    json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    json.Append(c);
                    break;
            }
        }

        json.Append('"');
    }
}
