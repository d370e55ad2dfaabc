using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace CertLibrary.Identifiers;

/// <summary>
/// A unified social credit code (统一社会信用代码) as defined by GB 32100: 17 characters over
/// <c>0123456789ABCDEFGHJKLMNPQRTUWXY</c> followed by a check character. In CertLibrary it identifies a
/// department that defines certificate types or issues certificates.
/// </summary>
/// <remarks>Lower-case input is accepted and normalised to upper case.</remarks>
[JsonConverter(typeof(IdentifierJsonConverter<CreditCode>))]
public readonly record struct CreditCode : IParsable<CreditCode>, IIdentifier<CreditCode>
{
    /// <summary>The number of characters in a credit code.</summary>
    public const int Length = 18;

    /// <summary>The 31 characters a credit code is written with; their index is their value.</summary>
    public const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    private static readonly int[] Weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    private readonly string? _value;

    private CreditCode(string value) => _value = value;

    /// <summary>Wraps a string already known to be a valid, upper-case credit code.</summary>
    internal static CreditCode FromValidated(string value) => new(value);

    /// <summary>The check character (the last one).</summary>
    public char Check => Value[Length - 1];

    private string Value => _value ?? throw new InvalidOperationException("The credit code is uninitialised (default).");

    /// <summary>Computes the check character for the first 17 characters of a credit code.</summary>
    /// <param name="first17">17 characters of <see cref="Alphabet"/>; lower case is accepted.</param>
    /// <returns>A character of <see cref="Alphabet"/>: 31 − (weighted sum mod 31), where 31 becomes <c>0</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="first17"/> has the wrong length or a character outside the alphabet.</exception>
    public static char ComputeCheck(ReadOnlySpan<char> first17)
    {
        if (first17.Length != Length - 1)
        {
            throw new ArgumentException($"Expected 17 characters but got {first17.Length}.", nameof(first17));
        }

        var sum = 0;
        for (var i = 0; i < first17.Length; i++)
        {
            var v = ValueOf(first17[i]);
            if (v < 0)
            {
                throw new ArgumentException(CharacterError(first17[i], i), nameof(first17));
            }

            sum += v * Weights[i];
        }

        return Alphabet[(31 - (sum % 31)) % 31];
    }

    /// <summary>Builds a credit code from its first 17 characters by appending the check character.</summary>
    /// <exception cref="ArgumentException"><paramref name="first17"/> has the wrong length or a character outside the alphabet.</exception>
    public static CreditCode Create(string first17)
    {
        ArgumentNullException.ThrowIfNull(first17);
        var check = ComputeCheck(first17);
        return new CreditCode(first17.ToUpperInvariant() + check);
    }

    /// <summary>Parses a credit code.</summary>
    /// <exception cref="FormatException"><paramref name="s"/> is not a valid credit code; the message names the rule.</exception>
    public static CreditCode Parse(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return TryParse(s, out var value, out var error) ? value : throw new FormatException(error);
    }

    /// <inheritdoc cref="Parse(string)"/>
    public static CreditCode Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <summary>Tries to parse a credit code.</summary>
    /// <param name="s">The text to parse.</param>
    /// <param name="value">The parsed code, or <see langword="default"/>.</param>
    /// <param name="error">When parsing fails, a sentence naming the rule that failed; otherwise <see langword="null"/>.</param>
    public static bool TryParse([NotNullWhen(true)] string? s, out CreditCode value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        error = Validate(s);
        if (error is not null)
        {
            return false;
        }

        value = new CreditCode(s!.ToUpperInvariant());
        return true;
    }

    /// <summary>Tries to parse a credit code.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, out CreditCode result) => TryParse(s, out result, out _);

    /// <inheritdoc cref="TryParse(string?, out CreditCode)"/>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out CreditCode result) => TryParse(s, out result, out _);

    /// <summary>The normalised (upper-case) code; an empty string for an uninitialised value.</summary>
    public override string ToString() => _value ?? string.Empty;

    /// <summary>Returns the error for <paramref name="s"/>, or <see langword="null"/> when it is a valid credit code.</summary>
    internal static string? Validate(ReadOnlySpan<char> s, string name = "credit code")
    {
        if (s.IsWhiteSpace())
        {
            return $"{name} is empty";
        }

        if (s.Length != Length)
        {
            return $"{name} must have 18 characters but has {s.Length}";
        }

        for (var i = 0; i < Length; i++)
        {
            if (ValueOf(s[i]) < 0)
            {
                return $"{name}: {CharacterError(s[i], i)}";
            }
        }

        var expected = ComputeCheck(s[..17]);
        var actual = char.ToUpperInvariant(s[17]);
        return actual == expected ? null : $"{name} check character is '{actual}' but should be '{expected}'";
    }

    private static string? Validate(string? s) => s is null ? "credit code is empty" : Validate(s.AsSpan());

    private static int ValueOf(char c) => char.IsAsciiLetterLower(c) ? Alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal) : Alphabet.IndexOf(c, StringComparison.Ordinal);

    private static string CharacterError(char c, int index) =>
        char.ToUpperInvariant(c) is 'I' or 'O' or 'S' or 'V' or 'Z'
            ? $"character '{c}' at position {index + 1} is not allowed (I, O, S, V and Z are never used)"
            : $"character '{c}' at position {index + 1} is not one of 0-9 and A-Y without I, O, S, V, Z";
}
