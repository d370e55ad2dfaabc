using System.Text.Json;

namespace CertLibrary.Cli.Import;

/// <summary>
/// Progress of one import, kept next to the input: which batches the server has answered. A resumed run skips them;
/// if the file is lost, the batches' idempotency keys still make re-sending them create nothing twice.
/// </summary>
internal sealed record ImportState
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>SHA-256 (hex) of the input file's bytes; a state only applies to exactly that content.</summary>
    public required string FileSha256 { get; init; }

    public required int BatchSize { get; init; }

    public required int TotalBatches { get; init; }

    /// <summary>Answered batches by number (1-based): how many items were created and which lines were refused.</summary>
    public SortedDictionary<int, BatchRecord> Completed { get; init; } = [];

    public static async Task<ImportState?> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<ImportState>(stream, Json, cancellationToken);
    }

    /// <summary>Writes beside the old file and swaps, so an interrupted write never leaves half a state.</summary>
    public async Task SaveAsync(string path, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, JsonSerializer.SerializeToUtf8Bytes(this, Json), cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>What the server answered for one batch.</summary>
internal sealed record BatchRecord(int Created, IReadOnlyList<int> FailedLines);
