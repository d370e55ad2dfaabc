namespace CertLibrary.Testing;

/// <summary>
/// JSON number literals of a certificate field (SPEC §3: finite, within ±2^53), shared by the unit test of the rule
/// (<c>FieldNumber</c>) and the API tests that send them, so both check the same corpus.
/// </summary>
public static class NumberLiterals
{
    /// <summary>Literals every JSON parser reads as the same finite number: accepted and signed as written.</summary>
    public static IReadOnlyList<string> Bounded { get; } =
    [
        "0", "-0", "2", "-3.25", "9007199254740991", "-9007199254740991", "1.5e3", "1E-300", "0e999", "0.1234567890123456789",
        "3.14159265358979323846264338327",
    ];

    /// <summary>Literals other languages' parsers reject, round to infinity or zero, or read as another integer.</summary>
    public static IReadOnlyList<string> Unbounded { get; } =
    [
        "1e400", "-1e400", "1E+309", "9007199254740992", "9007199254740993", "-9007199254740993", "-9007199254740992", "1e16",
        "1e-400", "-0.1e-330", "0.000000000000000000000000000000001", "0.00000000000000000000000000000000001", new string('9', 5000),
        new string('7', 5000),
    ];
}
