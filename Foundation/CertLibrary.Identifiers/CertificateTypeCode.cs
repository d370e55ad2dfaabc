using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace CertLibrary.Identifiers;

/// <summary>
/// A certificate type code (证照类型代码, GB/T 36902 practice): the credit code of the department that defines
/// the certificate type followed by a 3-digit suffix, 21 characters in all, e.g. <c>11100000000013338W032</c>.
/// </summary>
/// <remarks>Lower-case input is accepted and normalised to upper case.</remarks>
[JsonConverter(typeof(IdentifierJsonConverter<CertificateTypeCode>))]
public readonly record struct CertificateTypeCode : IParsable<CertificateTypeCode>, IIdentifier<CertificateTypeCode>
{
    /// <summary>The number of characters in a certificate type code.</summary>
    public const int Length = CreditCode.Length + 3;

    private readonly string? _value;

    private CertificateTypeCode(string value) => _value = value;

    /// <summary>Wraps a string already known to be a valid, upper-case type code.</summary>
    internal static CertificateTypeCode FromValidated(string value) => new(value);

    /// <summary>The credit code of the department that defines this certificate type.</summary>
    public CreditCode Definer => CreditCode.FromValidated(Value[..CreditCode.Length]);

    /// <summary>The 3-digit suffix, e.g. <c>032</c>.</summary>
    public string Suffix => Value[CreditCode.Length..];

    private string Value => _value ?? throw new InvalidOperationException("The certificate type code is uninitialised (default).");

    /// <summary>Builds a certificate type code from its defining department and a 3-digit suffix.</summary>
    /// <exception cref="ArgumentException"><paramref name="suffix"/> is not 3 ASCII digits.</exception>
    public static CertificateTypeCode Create(CreditCode definer, string suffix)
    {
        ArgumentNullException.ThrowIfNull(suffix);
        if (definer == default)
        {
            throw new ArgumentException("The definer credit code is uninitialised.", nameof(definer));
        }

        if (ValidateSuffix(suffix) is { } error)
        {
            throw new ArgumentException(error, nameof(suffix));
        }

        return new CertificateTypeCode(definer.ToString() + suffix);
    }

    /// <summary>Parses a certificate type code.</summary>
    /// <exception cref="FormatException"><paramref name="s"/> is not a valid type code; the message names the rule.</exception>
    public static CertificateTypeCode Parse(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return TryParse(s, out var value, out var error) ? value : throw new FormatException(error);
    }

    /// <inheritdoc cref="Parse(string)"/>
    public static CertificateTypeCode Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <summary>Tries to parse a certificate type code.</summary>
    /// <param name="s">The text to parse.</param>
    /// <param name="value">The parsed code, or <see langword="default"/>.</param>
    /// <param name="error">When parsing fails, a sentence naming the rule that failed; otherwise <see langword="null"/>.</param>
    public static bool TryParse([NotNullWhen(true)] string? s, out CertificateTypeCode value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        error = s is null ? "certificate type code is empty" : Validate(s);
        if (error is not null)
        {
            return false;
        }

        value = new CertificateTypeCode(s!.ToUpperInvariant());
        return true;
    }

    /// <summary>Tries to parse a certificate type code.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, out CertificateTypeCode result) => TryParse(s, out result, out _);

    /// <inheritdoc cref="TryParse(string?, out CertificateTypeCode)"/>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out CertificateTypeCode result) => TryParse(s, out result, out _);

    /// <summary>The normalised (upper-case) code; an empty string for an uninitialised value.</summary>
    public override string ToString() => _value ?? string.Empty;

    /// <summary>Returns the error for <paramref name="s"/>, or <see langword="null"/> when it is a valid type code.</summary>
    internal static string? Validate(ReadOnlySpan<char> s)
    {
        if (s.IsWhiteSpace())
        {
            return "certificate type code is empty";
        }

        if (s.Length != Length)
        {
            return $"certificate type code must have 21 characters (credit code and 3 digits) but has {s.Length}";
        }

        return CreditCode.Validate(s[..CreditCode.Length], "certificate type code's defining credit code")
            ?? ValidateSuffix(s[CreditCode.Length..]);
    }

    private static string? ValidateSuffix(ReadOnlySpan<char> suffix) =>
        suffix.Length == 3 && !suffix.ContainsAnyExceptInRange('0', '9')
            ? null
            : $"certificate type code suffix '{suffix}' must be 3 digits";
}
