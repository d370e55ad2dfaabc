using Spectre.Console;

namespace CertLibrary.Cli;

internal static class ConsoleExtensions
{
    /// <summary>Writes a plain line, unwrapped and without markup, so reports stay greppable in log files.</summary>
    public static void Line(this IAnsiConsole console, string text) => console.Profile.Out.Writer.WriteLine(text);
}
