using System.Globalization;

namespace CertLibrary.Bench;

/// <summary>One line of the results: the figure, the ceiling measured in the same run (if any), their ratio and the goal.</summary>
internal sealed record Figure(string Name, double? Value, string Unit, double? Ceiling, string CeilingName, string Goal, string Note)
{
    public static Figure NotMeasured(string name, string ceilingName, string goal, string why) =>
        new(name, null, "", null, ceilingName, goal, "not measured: " + why);

    public string? Ratio => Value is { } v && Ceiling is { } c && c > 0 ? (v / c).ToString(v / c < 0.1 ? "0.000" : "0.00", CultureInfo.InvariantCulture) + "×" : null;

    public string ValueText => Value is { } v ? Format(v) + " " + Unit : "not measured";

    public string CeilingText => Ceiling is { } c ? $"{Format(c)} {Unit} ({CeilingName})" : CeilingName;

    public override string ToString() =>
        $"{Name}: {ValueText}; ceiling {CeilingText}; ratio {Ratio ?? "—"}; goal {Goal}{(Note.Length > 0 ? "; " + Note : "")}";

    private static string Format(double value) => value.ToString(value >= 100 ? "#,0" : "0.0", CultureInfo.InvariantCulture);
}
