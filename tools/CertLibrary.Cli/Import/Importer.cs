using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace CertLibrary.Cli.Import;

/// <summary>What <c>certlib import</c> was asked to do.</summary>
internal sealed record ImportOptions
{
    public required string File { get; init; }

    public required Uri Api { get; init; }

    public required string ClientId { get; init; }

    public required string ClientSecret { get; init; }

    public ImportFormat? Format { get; init; }

    /// <summary>Items per batch request (1–1,000); null: the state's, else <see cref="Importer.DefaultBatchSize"/>.</summary>
    public int? BatchSize { get; init; }

    public bool SkipInvalid { get; init; }

    public bool ValidateOnly { get; init; }

    public string? StatePath { get; init; }

    public string? ResultsPath { get; init; }

    /// <summary>Retries of a batch after a network error, time-out, 429 or 5xx, with exponential back-off (1 s, 2 s, 4 s, ... up to 30 s).</summary>
    public int MaxRetries { get; init; } = 6;
}

/// <summary>
/// Bulk import of legacy paper certificates (补录): validate every row, then issue through the batch API with one
/// deterministic Idempotency-Key per batch (SHA-256 of the file's bytes and the batch number), recording answered
/// batches in a state file so that a re-run after any interruption resumes and creates nothing twice.
/// </summary>
internal sealed class Importer(IAnsiConsole console, TimeProvider time, HttpMessageHandler? handler = null)
{
    public const int DefaultBatchSize = 200;

    public async Task<int> RunAsync(ImportOptions options, CancellationToken cancellationToken)
    {
        if (options.BatchSize is < 1 or > 1000)
        {
            console.Line("--batch-size must be between 1 and 1000 (the batch API's limit).");
            return ExitCodes.InvalidInput;
        }

        var format = options.Format ?? ImportFileReader.FormatOf(options.File);
        if (format is null)
        {
            console.Line($"Cannot tell the format of {options.File} from its extension: use .csv, .jsonl or .ndjson, or --format csv|jsonl.");
            return ExitCodes.InvalidInput;
        }

        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(options.File, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Line($"Cannot read {options.File}: {e.Message}");
            return ExitCodes.InvalidInput;
        }

        var fileHash = Convert.ToHexStringLower(SHA256.HashData(content));
        var read = ImportFileReader.Read(content, format.Value);
        if (read.FileErrors.Count > 0)
        {
            console.Line($"{options.File} cannot be imported:");
            foreach (var error in read.FileErrors)
            {
                console.Line("  " + error);
            }

            return ExitCodes.InvalidInput;
        }

        var (valid, invalid) = new RowValidator(time).Validate(read.Rows);
        ReportInvalid(invalid, valid.Count);
        if (read.Rows.Count == 0)
        {
            console.Line("The file has no rows.");
            return ExitCodes.InvalidInput;
        }

        if (invalid.Count > 0 && !options.SkipInvalid)
        {
            console.Line("Nothing was imported. Correct the rows above, or re-run with --skip-invalid to import only the valid rows.");
            return ExitCodes.InvalidInput;
        }

        if (options.ValidateOnly)
        {
            console.Line($"Validation only: {valid.Count} rows would be imported.");
            return invalid.Count == 0 ? ExitCodes.Ok : ExitCodes.PartialFailure;
        }

        if (valid.Count == 0)
        {
            console.Line("No valid row to import.");
            return ExitCodes.InvalidInput;
        }

        var statePath = options.StatePath ?? options.File + ".certlib-state.json";
        var resultsPath = options.ResultsPath ?? options.File + ".certlib-results.csv";
        ImportState? state;
        try
        {
            state = await ImportState.LoadAsync(statePath, cancellationToken);
        }
        catch (System.Text.Json.JsonException)
        {
            console.Line($"The state file {statePath} is damaged. Delete it and re-run: idempotency keys make re-sending answered batches safe.");
            return ExitCodes.InvalidInput;
        }

        if (state is not null && state.FileSha256 != fileHash)
        {
            console.Line($"The state file {statePath} belongs to other content of this file (it was changed after an import started). " +
                "Import the changed rows as a new file, or delete the state file if the earlier import never reached the server.");
            return ExitCodes.InvalidInput;
        }

        if (state is not null && options.BatchSize is { } asked && asked != state.BatchSize)
        {
            console.Line($"This import started with --batch-size {state.BatchSize}; resume it with the same size (or leave --batch-size out).");
            return ExitCodes.InvalidInput;
        }

        var batchSize = state?.BatchSize ?? options.BatchSize ?? DefaultBatchSize;
        var batches = valid.Chunk(batchSize).Select((rows, i) => new Batch(i + 1, rows, $"certlib-import:{fileHash}:{i + 1}")).ToList();
        state ??= new ImportState { FileSha256 = fileHash, BatchSize = batchSize, TotalBatches = batches.Count };
        if (state.TotalBatches != batches.Count)
        {
            console.Line($"The state file {statePath} expects {state.TotalBatches} batches but the file now makes {batches.Count} (were different rows skipped?). Delete it and re-run.");
            return ExitCodes.InvalidInput;
        }

        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = new Uri(options.Api.ToString().TrimEnd('/') + "/");
        http.Timeout = TimeSpan.FromMinutes(5);
        var api = new CertLibraryApiClient(http, options.ClientId, options.ClientSecret);
        var authProblem = await WithRetriesAsync(() => api.AuthenticateAsync(cancellationToken), options.MaxRetries, cancellationToken);
        if (authProblem.Unreachable is { } unreachable)
        {
            console.Line($"The API at {options.Api} cannot be reached ({unreachable}). Nothing was sent.");
            return ExitCodes.Unavailable;
        }

        if (authProblem.Value is { } refused)
        {
            console.Line($"Authentication failed: {refused}. Nothing was sent.");
            return ExitCodes.Unavailable;
        }

        var pending = batches.Where(b => !state.Completed.ContainsKey(b.Number)).ToList();
        if (pending.Count < batches.Count)
        {
            console.Line($"Resuming: {batches.Count - pending.Count} of {batches.Count} batches were answered in an earlier run.");
        }

        var problems = new List<string>();
        string? stopReason = null;
        var stopCode = ExitCodes.Ok;
        await using (var results = await ResultsFile.OpenAsync(resultsPath, state.Completed.Keys.ToHashSet(), cancellationToken))
        {
            await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("Importing", maxValue: valid.Count);
                    task.Increment(valid.Count - pending.Sum(b => b.Rows.Length));
                    foreach (var batch in pending)
                    {
                        var outcome = await SendAsync(api, batch, options.MaxRetries, cancellationToken);
                        if (outcome.Kind == BatchOutcomeKind.Answered)
                        {
                            var failed = new List<int>();
                            foreach (var answer in outcome.Items)
                            {
                                var row = batch.Rows[answer.Index];
                                await results.AppendAsync(row.Line, batch.Number, row.Number, answer.CertificateId, answer.Problem, cancellationToken);
                                if (answer.CertificateId is null)
                                {
                                    failed.Add(row.Line);
                                    problems.Add($"line {row.Line} ({row.MaskedIdNumber}): {answer.Problem}");
                                }
                            }

                            await results.FlushAsync(cancellationToken);
                            state.Completed[batch.Number] = new BatchRecord(outcome.Items.Count - failed.Count, failed);
                            await state.SaveAsync(statePath, cancellationToken);
                            task.Increment(batch.Rows.Length);
                            continue;
                        }

                        var lines = $"lines {batch.Rows[0].Line}–{batch.Rows[^1].Line}";
                        switch (outcome.Kind)
                        {
                            case BatchOutcomeKind.Refused:
                                // Nothing of this batch was created; it stays pending, so a re-run sends it again.
                                problems.Add($"batch {batch.Number} ({lines}) refused whole: {outcome.Problem}");
                                stopCode = ExitCodes.PartialFailure;
                                task.Increment(batch.Rows.Length);
                                if (outcome.Problem?.Contains("idempotency-key-reused", StringComparison.Ordinal) == true)
                                {
                                    stopReason = "The server saw this batch's key with other content: the file was imported before with another --batch-size. " +
                                        "Re-run with that batch size.";
                                    return;
                                }

                                continue;
                            case BatchOutcomeKind.Unauthorized:
                                stopReason = $"The API refused the batch ({outcome.Problem}): does the client have scope certlib.issue?";
                                stopCode = ExitCodes.Unavailable;
                                return;
                            default:
                                stopReason = $"The API cannot be reached ({outcome.Problem}); {state.Completed.Count} of {batches.Count} batches are answered. " +
                                    "Re-run the same command to resume: answered batches are skipped and re-sent ones create nothing twice.";
                                stopCode = ExitCodes.Unavailable;
                                return;
                        }
                    }
                });
        }

        foreach (var problem in problems)
        {
            console.Line(problem);
        }

        var created = state.Completed.Values.Sum(b => b.Created);
        var refusedRows = state.Completed.Values.Sum(b => b.FailedLines.Count);
        console.Line(string.Create(CultureInfo.InvariantCulture,
            $"{created} certificates issued, {refusedRows} rows refused by the server, {invalid.Count} invalid rows skipped; " +
            $"{state.Completed.Count} of {batches.Count} batches answered. Results: {resultsPath}"));
        if (stopReason is not null)
        {
            console.Line(stopReason);
            return stopCode;
        }

        return stopCode != ExitCodes.Ok || refusedRows > 0 || invalid.Count > 0 ? ExitCodes.PartialFailure : ExitCodes.Ok;
    }

    private void ReportInvalid(IReadOnlyList<InvalidRow> invalid, int validCount)
    {
        if (invalid.Count == 0)
        {
            console.Line($"All {validCount} rows are valid.");
            return;
        }

        console.Line($"{invalid.Count} invalid rows ({validCount} valid):");
        foreach (var row in invalid)
        {
            console.Line($"  line {row.Line} ({row.MaskedIdNumber}): {string.Join("; ", row.Errors.Select(e => $"{e.Field} {e.Reason}"))}");
        }
    }

    private async Task<BatchOutcome> SendAsync(CertLibraryApiClient api, Batch batch, int maxRetries, CancellationToken cancellationToken)
    {
        var items = new JsonArray([.. batch.Rows.Select(r => r.Request.DeepClone())]);
        var reauthenticated = false;
        for (var attempt = 0; ; attempt++)
        {
            var outcome = await api.SendBatchAsync(batch.IdempotencyKey, items, cancellationToken);
            if (outcome.Kind == BatchOutcomeKind.Unauthorized && !reauthenticated && outcome.Problem?.StartsWith("401", StringComparison.Ordinal) == true)
            {
                // The token expired during a long import (or the server restarted with new token keys): get a new one once.
                reauthenticated = true;
                var again = await WithRetriesAsync(() => api.AuthenticateAsync(cancellationToken), maxRetries, cancellationToken);
                if (again.Unreachable is null && again.Value is null)
                {
                    attempt--;
                    continue;
                }

                return outcome;
            }

            if (outcome.Kind != BatchOutcomeKind.Transient || attempt >= maxRetries)
            {
                return outcome;
            }

            await Task.Delay(Backoff(attempt), time, cancellationToken);
        }
    }

    private async Task<(T? Value, string? Unreachable)> WithRetriesAsync<T>(Func<Task<T>> action, int maxRetries, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await action(), null);
            }
            catch (Exception e) when (e is HttpRequestException || e is TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= maxRetries)
                {
                    return (default, e.Message);
                }
            }

            await Task.Delay(Backoff(attempt), time, cancellationToken);
        }
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(attempt, 5)));

    private sealed record Batch(int Number, ValidRow[] Rows, string IdempotencyKey);
}
