using System.Globalization;
using System.Text;

namespace CertLibrary.Bench;

/// <summary>Writes <c>bench/results.md</c>: the figure table, the machine it ran on, and the raw lines.</summary>
internal static class ResultsWriter
{
    public static async Task WriteAsync(string path, BenchOptions options, IReadOnlyList<Figure> figures, IReadOnlyList<string> raw, DateTimeOffset started, string loadAtStart)
    {
        var text = new StringBuilder();
        text.AppendLine("# CertLibrary benchmark results").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- date: {started:yyyy-MM-dd HH:mm} UTC{(options.Smoke ? " (smoke mode: durations too short to be figures)" : "")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- machine: {Machine.Description}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- load average (1, 5, 15 min) at start: {loadAtStart}; at end: {Machine.LoadAverage()} — above {Environment.ProcessorCount} means other work shared the cores");
        text.AppendLine(CultureInfo.InvariantCulture, $"- runtime: .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- HTTP load: {options.Concurrency} concurrent HttpClient requests over 127.0.0.1 for {options.LoadDuration.TotalSeconds:0.#} s per side, after {options.WarmUp.TotalSeconds:0.#} s warm-up; the load generator shares the machine's cores with the server.");
        text.AppendLine("- command: `scripts/bench.sh" + (options.Smoke ? " --smoke" : "") + (options.Large ? " --large" : "") + "`").AppendLine();
        text.AppendLine("| figure | measured | ceiling (same run) | ratio | goal | notes |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var f in figures)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {f.Name} | {f.ValueText} | {f.CeilingText} | {f.Ratio ?? "—"} | {f.Goal} | {f.Note.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        text.AppendLine().AppendLine("## Raw output").AppendLine().AppendLine("```");
        foreach (var line in raw)
        {
            text.AppendLine(line);
        }

        text.AppendLine("```");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, text.ToString());
    }
}

/// <summary>What the figures were measured on.</summary>
internal static class Machine
{
    public static string Description { get; } = Describe();

    /// <summary>The first three fields of /proc/loadavg: how busy the machine was (other processes compete for the cores).</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Describe()
    {
        var model = "unknown CPU";
        try
        {
            model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? model;
        }
        catch (IOException)
        {
            // not Linux: keep "unknown"
        }

        return $"{Environment.ProcessorCount} cores (nproc), {model}";
    }
}
