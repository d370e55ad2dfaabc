using System.Globalization;

namespace CertLibrary.Identifiers;

/// <summary>RFC 3339 UTC timestamps as SPEC §8 requires.</summary>
public static class Rfc3339
{
    /// <summary>Formats <paramref name="value"/> in UTC with a <c>Z</c> and only the fractional digits it has.</summary>
    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses an RFC 3339 date-time (a <c>T</c> between date and time, any offset) to UTC.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        return text is { Length: >= 20 and <= 40 }
            && text[10] == 'T'
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }
}
