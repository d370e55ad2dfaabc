using System.Globalization;

namespace CertLibrary.Identifiers;

/// <summary>
/// The numbers a certificate's face field may hold: those every JSON parser reads as the same number (I-JSON, RFC 7493
/// §2.2). The literal has at most <see cref="MaxLiteralLength"/> characters, its value is a finite IEEE 754 double within
/// ±<see cref="MaxMagnitude"/> (2^53 − 1), and it does not round to zero unless it is zero.
/// </summary>
public static class FieldNumber
{
    /// <summary>The longest literal accepted; a double needs 17 significant digits, with sign and exponent some 25 characters.</summary>
    public const int MaxLiteralLength = 32;

    /// <summary>2^53 − 1: beyond it, neighbouring integers share one double, and parsers that read integers exactly disagree with those that do not.</summary>
    public const double MaxMagnitude = 9007199254740991;

    /// <summary>The rule in words, for messages: "Expected {Rule}."</summary>
    public const string Rule = "a finite number within ±9007199254740991 (2^53 − 1), written in at most 32 characters";

    /// <summary>Whether <paramref name="literal"/>, a JSON number as written, is one a face field may hold.</summary>
    public static bool IsValid(string literal)
    {
        if (literal.Length is 0 or > MaxLiteralLength
            || !double.TryParse(literal, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || Math.Abs(value) > MaxMagnitude)
        {
            return false;
        }

        // 1e-400 parses as 0: the certificate would say one number and every reader another.
        var exponent = literal.AsSpan().IndexOfAny('e', 'E');
        return value != 0 || !(exponent < 0 ? literal.AsSpan() : literal.AsSpan(0, exponent)).ContainsAnyInRange('1', '9');
    }
}
