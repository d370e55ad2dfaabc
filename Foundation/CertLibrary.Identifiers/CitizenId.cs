using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Serialization;

namespace CertLibrary.Identifiers;

/// <summary>
/// A citizen identity number (公民身份号码) as defined by GB 11643: a 6-digit area code, an 8-digit birth
/// date, a 3-digit sequence and a check character computed with ISO/IEC 7064 MOD 11-2.
/// </summary>
/// <remarks>
/// <para>The normalised form is upper-case (a lower-case <c>x</c> check character is accepted and becomes
/// <c>X</c>). <see cref="ToString"/> returns the full number: never write it to logs, URLs or QR codes; use
/// <see cref="Masked"/> for display.</para>
/// <para>"Today", for the rule that a birth date is not in the future, is the calendar date in China
/// Standard Time (UTC+8), the time zone in which the birth dates are recorded.</para>
/// </remarks>
[JsonConverter(typeof(IdentifierJsonConverter<CitizenId>))]
public readonly record struct CitizenId : IParsable<CitizenId>, IIdentifier<CitizenId>
{
    /// <summary>The number of characters in a citizen identity number.</summary>
    public const int Length = 18;

    /// <summary>The earliest birth date accepted.</summary>
    public static readonly DateOnly MinBirthDate = new(1900, 1, 1);

    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckCharacters = "10X98765432";
    private static readonly TimeSpan ChinaStandardTimeOffset = TimeSpan.FromHours(8);

    private readonly string? _value;

    private CitizenId(string value) => _value = value;

    /// <summary>The 6-digit administrative area code (the first six characters).</summary>
    public string AreaCode => Value[..6];

    /// <summary>The birth date encoded in characters 7–14.</summary>
    public DateOnly BirthDate => ReadBirthDate(Value.AsSpan(6, 8))!.Value;

    /// <summary>The 3-digit sequence number (characters 15–17).</summary>
    public int Sequence => int.Parse(Value.AsSpan(14, 3), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary><see langword="true"/> when the sequence number is odd, which GB 11643 assigns to men.</summary>
    public bool IsMale => Sequence % 2 == 1;

    /// <summary>The check character: a digit or <c>X</c>.</summary>
    public char Check => Value[17];

    /// <summary>
    /// The number for display: the area code and the last four characters, everything else replaced by
    /// <c>*</c>, e.g. <c>110105********002X</c>. An uninitialised value gives an empty string.
    /// </summary>
    public string Masked => _value is null ? string.Empty : string.Concat(_value.AsSpan(0, 6), "********", _value.AsSpan(14, 4));

    private string Value => _value ?? throw new InvalidOperationException("The citizen identity number is uninitialised (default).");

    /// <summary>Computes the check character for the first 17 digits of a citizen identity number.</summary>
    /// <param name="first17">Exactly 17 ASCII digits.</param>
    /// <returns>A digit or <c>X</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="first17"/> is not 17 ASCII digits.</exception>
    public static char ComputeCheck(ReadOnlySpan<char> first17)
    {
        if (first17.Length != Length - 1)
        {
            throw new ArgumentException($"Expected 17 digits but got {first17.Length} characters.", nameof(first17));
        }

        var sum = 0;
        for (var i = 0; i < first17.Length; i++)
        {
            if (!char.IsAsciiDigit(first17[i]))
            {
                throw new ArgumentException($"Character '{first17[i]}' at position {i + 1} is not a digit.", nameof(first17));
            }

            sum += (first17[i] - '0') * Weights[i];
        }

        return CheckCharacters[sum % 11];
    }

    /// <summary>Builds a citizen identity number and computes its check character, e.g. for test data.</summary>
    /// <param name="area6">The 6-digit area code; its first digit must be 1–8.</param>
    /// <param name="birth">The birth date, not before 1900-01-01. It is not compared with today.</param>
    /// <param name="sequence">The sequence number, 0–999; odd for men, even for women.</param>
    /// <exception cref="ArgumentException">An argument breaks one of the rules above.</exception>
    public static CitizenId Create(string area6, DateOnly birth, int sequence)
    {
        ArgumentNullException.ThrowIfNull(area6);
        if (ValidateArea(area6) is { } areaError)
        {
            throw new ArgumentException(areaError, nameof(area6));
        }

        if (birth < MinBirthDate)
        {
            throw new ArgumentOutOfRangeException(nameof(birth), birth, $"Birth date must not be before {MinBirthDate:yyyy-MM-dd}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, 999);

        var first17 = string.Create(CultureInfo.InvariantCulture, $"{area6}{birth:yyyyMMdd}{sequence:D3}");
        return new CitizenId(first17 + ComputeCheck(first17));
    }

    /// <summary>Parses a citizen identity number, judging the birth date against today's date.</summary>
    /// <exception cref="FormatException"><paramref name="s"/> is not a valid number; the message names the rule.</exception>
    public static CitizenId Parse(string s) => Parse(s, TimeProvider.System);

    /// <summary>Parses a citizen identity number, judging the birth date against the clock of <paramref name="timeProvider"/>.</summary>
    /// <exception cref="FormatException"><paramref name="s"/> is not a valid number; the message names the rule.</exception>
    public static CitizenId Parse(string s, TimeProvider timeProvider) => Parse(s, Today(timeProvider));

    /// <summary>Parses a citizen identity number, judging the birth date against <paramref name="today"/>.</summary>
    /// <exception cref="FormatException"><paramref name="s"/> is not a valid number; the message names the rule.</exception>
    public static CitizenId Parse(string s, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(s);
        return TryParse(s, today, out var value, out var error) ? value : throw new FormatException(error);
    }

    /// <inheritdoc cref="Parse(string)"/>
    public static CitizenId Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <summary>Tries to parse a citizen identity number, judging the birth date against today's date.</summary>
    /// <param name="s">The text to parse.</param>
    /// <param name="value">The parsed number, or <see langword="default"/>.</param>
    /// <param name="error">When parsing fails, a sentence naming the rule that failed; otherwise <see langword="null"/>.</param>
    public static bool TryParse([NotNullWhen(true)] string? s, out CitizenId value, [NotNullWhen(false)] out string? error) =>
        TryParse(s, TimeProvider.System, out value, out error);

    /// <summary>Tries to parse a citizen identity number, judging the birth date against the clock of <paramref name="timeProvider"/>.</summary>
    /// <inheritdoc cref="TryParse(string?, out CitizenId, out string?)"/>
    public static bool TryParse([NotNullWhen(true)] string? s, TimeProvider timeProvider, out CitizenId value, [NotNullWhen(false)] out string? error) =>
        TryParse(s, Today(timeProvider), out value, out error);

    /// <summary>Tries to parse a citizen identity number, judging the birth date against <paramref name="today"/>.</summary>
    /// <param name="s">The text to parse.</param>
    /// <param name="today">The date after which a birth date is in the future.</param>
    /// <param name="value">The parsed number, or <see langword="default"/>.</param>
    /// <param name="error">When parsing fails, a sentence naming the rule that failed; otherwise <see langword="null"/>.</param>
    public static bool TryParse([NotNullWhen(true)] string? s, DateOnly today, out CitizenId value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        error = Validate(s, today);
        if (error is not null)
        {
            return false;
        }

        value = new CitizenId(s![..17] + char.ToUpperInvariant(s[17]));
        return true;
    }

    /// <summary>Tries to parse a citizen identity number, judging the birth date against today's date.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, out CitizenId result) => TryParse(s, out result, out _);

    /// <inheritdoc cref="TryParse(string?, out CitizenId)"/>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out CitizenId result) => TryParse(s, out result, out _);

    /// <summary>The full normalised number (upper-case <c>X</c>); an empty string for an uninitialised value.</summary>
    public override string ToString() => _value ?? string.Empty;

    private static string? Validate(string? s, DateOnly today)
    {
        if (string.IsNullOrWhiteSpace(s))
        {
            return "citizen identity number is empty";
        }

        if (s.Length != Length)
        {
            return $"citizen identity number must have 18 characters but has {s.Length}";
        }

        for (var i = 0; i < Length - 1; i++)
        {
            var c = s[i];
            if (!char.IsAsciiDigit(c))
            {
                return c is 'X' or 'x'
                    ? $"character '{c}' at position {i + 1} must be a digit; only the last character may be X"
                    : $"character '{c}' at position {i + 1} must be a digit";
            }
        }

        var last = s[Length - 1];
        if (!char.IsAsciiDigit(last) && last is not ('X' or 'x'))
        {
            return $"check character '{last}' must be a digit or X";
        }

        if (ValidateArea(s.AsSpan(0, 6)) is { } areaError)
        {
            return areaError;
        }

        var birthText = s.AsSpan(6, 8);
        if (ReadBirthDate(birthText) is not { } birth)
        {
            return $"birth date {birthText} is not a real date";
        }

        if (birth < MinBirthDate)
        {
            return $"birth date {birthText} is before 19000101";
        }

        if (birth > today)
        {
            return $"birth date {birthText} is in the future";
        }

        var expected = ComputeCheck(s.AsSpan(0, 17));
        var actual = char.ToUpperInvariant(last);
        return actual == expected ? null : $"check character is '{actual}' but should be '{expected}'";
    }

    private static string? ValidateArea(ReadOnlySpan<char> area)
    {
        if (area.Length != 6 || area.ContainsAnyExceptInRange('0', '9'))
        {
            return "area code must be 6 digits";
        }

        return area[0] is >= '1' and <= '8' ? null : $"area code must start with 1-8 but starts with '{area[0]}'";
    }

    private static DateOnly? ReadBirthDate(ReadOnlySpan<char> yyyymmdd) =>
        DateOnly.TryParseExact(yyyymmdd, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    private static DateOnly Today(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return DateOnly.FromDateTime(timeProvider.GetUtcNow().ToOffset(ChinaStandardTimeOffset).DateTime);
    }
}
