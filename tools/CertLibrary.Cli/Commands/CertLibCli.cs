using System.CommandLine;
using CertLibrary.Cli.Backup;
using CertLibrary.Cli.Import;
using CertLibrary.Cli.Verify;
using Spectre.Console;

namespace CertLibrary.Cli.Commands;

/// <summary>The <c>certlib</c> command tree: <c>import</c> (补录 of paper certificates), <c>backup</c> and <c>verify</c>.</summary>
internal static class CertLibCli
{
    public const string SecretVariable = "CERTLIB_CLIENT_SECRET";

    public static async Task<int> RunAsync(
        string[] args, IAnsiConsole console, Func<string, string?> environment, TimeProvider time,
        HttpMessageHandler? handler = null, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("certlib — operations tool of CertLibrary (电子证照库)") { ImportCommand(console, environment, time, handler), BackupCommand(console), VerifyCommand(console, handler) };
        var output = new StringWriter();
        var result = root.Parse(args);
        var exit = await result.InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, cancellationToken);
        if (output.GetStringBuilder().Length > 0)
        {
            console.Profile.Out.Writer.Write(output.ToString());
        }

        return exit;
    }

    private static Command ImportCommand(IAnsiConsole console, Func<string, string?> environment, TimeProvider time, HttpMessageHandler? handler)
    {
        var file = new Argument<FileInfo>("file") { Description = "CSV (header: typeCode,idNumber,name,number,validFrom,validUntil,fields.<name>[:type]) or JSON Lines (one issue request per line)" };
        var api = new Option<string>("--api") { Description = "Base URL of the CertLibrary service, e.g. https://certlib.example.gov.cn", Required = true };
        var clientId = new Option<string>("--client-id") { Description = "OAuth client of the issuing department (scope certlib.issue)", Required = true };
        var clientSecret = new Option<string>("--client-secret") { Description = $"Its secret; prefer the environment variable {SecretVariable} (command lines are visible to other users)" };
        var format = new Option<string>("--format") { Description = "csv or jsonl (default: from the file extension)" };
        format.AcceptOnlyFromAmong("csv", "jsonl");
        var batchSize = new Option<int?>("--batch-size") { Description = $"Certificates per batch request, 1-1000 (default {Importer.DefaultBatchSize}; a resumed import keeps its size)" };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Import the valid rows even if some rows are invalid (they are reported and skipped)" };
        var validateOnly = new Option<bool>("--validate-only") { Description = "Only check the file and report bad rows; send nothing" };
        var state = new Option<FileInfo>("--state") { Description = "Progress file (default: <file>.certlib-state.json)" };
        var results = new Option<FileInfo>("--results") { Description = "Per-row results CSV: line,batch,number,certificateId,problem (default: <file>.certlib-results.csv)" };
        var retries = new Option<int>("--retries") { Description = "Retries of a batch after a network error or 5xx, with back-off", DefaultValueFactory = _ => 6 };

        var command = new Command("import", "Bulk import (补录) of legacy paper certificates through the batch API; safe to re-run after an interruption")
        {
            file, api, clientId, clientSecret, format, batchSize, skipInvalid, validateOnly, state, results, retries,
        };
        command.SetAction(async (parse, ct) =>
        {
            var secret = parse.GetValue(clientSecret) ?? environment(SecretVariable);
            if (string.IsNullOrEmpty(secret) && !parse.GetValue(validateOnly))
            {
                console.Line($"No client secret: set {SecretVariable} (or pass --client-secret).");
                return ExitCodes.InvalidInput;
            }

            if (!Uri.TryCreate(parse.GetValue(api), UriKind.Absolute, out var apiUrl) || apiUrl.Scheme is not ("http" or "https"))
            {
                console.Line("--api must be an absolute http(s) URL.");
                return ExitCodes.InvalidInput;
            }

            var options = new ImportOptions
            {
                File = parse.GetValue(file)!.FullName,
                Api = apiUrl,
                ClientId = parse.GetValue(clientId)!,
                ClientSecret = secret ?? "",
                Format = parse.GetValue(format) switch { "csv" => ImportFormat.Csv, "jsonl" => ImportFormat.JsonLines, _ => null },
                BatchSize = parse.GetValue(batchSize),
                SkipInvalid = parse.GetValue(skipInvalid),
                ValidateOnly = parse.GetValue(validateOnly),
                StatePath = parse.GetValue(state)?.FullName,
                ResultsPath = parse.GetValue(results)?.FullName,
                MaxRetries = Math.Max(0, parse.GetValue(retries)),
            };
            try
            {
                return await new Importer(console, time, handler).RunAsync(options, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C: answered batches are recorded; the one in flight is re-sent with its key on the next run.
                console.Line("Interrupted. Re-run the same command to resume.");
                return ExitCodes.Unavailable;
            }
        });
        return command;
    }

    private static Command VerifyCommand(IAnsiConsole console, HttpMessageHandler? handler)
    {
        var api = new Option<string>("--api") { Description = "Base URL of the CertLibrary service, e.g. https://certlib.example.gov.cn", Required = true };
        var qr = new Option<string>("--qr") { Description = "The QR's text: CL2:… (format 2), CL1:… (format 1) or an online …/v/… URL" };
        var qrFile = new Option<FileInfo>("--qr-file") { Description = "A file holding the QR's text" };
        var qrPng = new Option<FileInfo>("--qr-png") { Description = "An image (PNG, JPEG, WebP, GIF, BMP) of the QR, decoded here; only its text is sent" };
        var command = new Command("verify", "Verifies a QR through POST /api/v1/verify and prints the answer (exit 0 valid, 4 not valid)") { api, qr, qrFile, qrPng };
        command.SetAction((parse, ct) =>
        {
            if (!Uri.TryCreate(parse.GetValue(api), UriKind.Absolute, out var apiUrl) || apiUrl.Scheme is not ("http" or "https"))
            {
                console.Line("--api must be an absolute http(s) URL.");
                return Task.FromResult(ExitCodes.InvalidInput);
            }

            return new QrVerification(console, handler).RunAsync(apiUrl, parse.GetValue(qr), parse.GetValue(qrFile), parse.GetValue(qrPng), ct);
        });
        return command;
    }

    private static Command BackupCommand(IAnsiConsole console)
    {
        var sqlite = new Option<FileInfo>("--sqlite") { Description = "The SQLite database file of the embedded store (CERTLIB_SQLITE_PATH)", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Backup file to write (a complete SQLite database)", Required = true };
        var force = new Option<bool>("--force") { Description = "Overwrite --out if it exists" };
        var command = new Command("backup", "Online backup of the SQLite store (safe while the service runs). PostgreSQL: use pg_dump -Fc (see README)")
        {
            sqlite, output, force,
        };
        command.SetAction((parse, ct) => new SqliteBackup(console).RunAsync(parse.GetValue(sqlite)!.FullName, parse.GetValue(output)!.FullName, parse.GetValue(force), ct));
        return command;
    }
}
