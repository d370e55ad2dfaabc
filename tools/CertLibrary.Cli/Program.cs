using CertLibrary.Cli.Commands;
using Spectre.Console;

return await CertLibCli.RunAsync(args, AnsiConsole.Console, Environment.GetEnvironmentVariable, TimeProvider.System);
