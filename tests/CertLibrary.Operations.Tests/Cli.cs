using System.Text;
using CertLibrary.Cli.Commands;
using Spectre.Console;

namespace CertLibrary.Operations.Tests;

/// <summary>Runs <c>certlib</c> in process, exactly as its Main does, capturing what it prints.</summary>
public static class Cli
{
    public static async Task<(int Exit, string Output)> RunAsync(params string[] args) => await RunAsync(args, default);

    public static async Task<(int Exit, string Output)> RunAsync(
        string[] args, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null, HttpMessageHandler? handler = null)
    {
        var output = new StringWriter(new StringBuilder());
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        var exit = await CertLibCli.RunAsync(args, console, name => environment?.GetValueOrDefault(name), TimeProvider.System, handler, cancellationToken);
        return (exit, output.ToString());
    }
}
