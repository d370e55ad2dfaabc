using System.Globalization;
using System.Text;

namespace CertLibrary.Cli.Import;

/// <summary>
/// The outcome of every imported row as CSV (<c>line,batch,number,certificateId,problem</c>), appended after each
/// answered batch. On a resumed run, rows of batches the state does not record as answered are dropped first:
/// those batches are sent again and their (replayed) answers appended anew, so each line appears once.
/// </summary>
internal sealed class ResultsFile : IAsyncDisposable
{
    private const string Header = "line,batch,number,certificateId,problem";
    private readonly StreamWriter _writer;

    private ResultsFile(StreamWriter writer) => _writer = writer;

    public static async Task<ResultsFile> OpenAsync(string path, IReadOnlySet<int> answeredBatches, CancellationToken cancellationToken)
    {
        var kept = new List<string>();
        if (File.Exists(path))
        {
            foreach (var line in (await File.ReadAllLinesAsync(path, cancellationToken)).Skip(1))
            {
                var parts = line.Split(',', 3);
                if (parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var batch) && answeredBatches.Contains(batch))
                {
                    kept.Add(line);
                }
            }
        }

        var temporary = path + ".tmp";
        await File.WriteAllLinesAsync(temporary, [Header, .. kept], cancellationToken);
        File.Move(temporary, path, overwrite: true);
        return new ResultsFile(new StreamWriter(path, append: true, new UTF8Encoding(false)));
    }

    public async Task AppendAsync(int line, int batch, string number, string? certificateId, string? problem, CancellationToken cancellationToken)
    {
        var text = string.Join(',', line.ToString(CultureInfo.InvariantCulture), batch.ToString(CultureInfo.InvariantCulture),
            Escape(number), certificateId ?? "", Escape(problem ?? ""));
        await _writer.WriteLineAsync(text.AsMemory(), cancellationToken);
    }

    public async Task FlushAsync(CancellationToken cancellationToken) => await _writer.FlushAsync(cancellationToken);

    public async ValueTask DisposeAsync() => await _writer.DisposeAsync();

    /// <summary>Reads a results file: line number → certificate id (null when the row was refused).</summary>
    public static IReadOnlyDictionary<int, string?> Read(string path)
    {
        var results = new Dictionary<int, string?>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var cells = SplitCsvLine(line);
            results[int.Parse(cells[0], CultureInfo.InvariantCulture)] = cells[3].Length > 0 ? cells[3] : null;
        }

        return results;
    }

    private static string Escape(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal).ReplaceLineEndings(" ") + "\"" : value;

    private static List<string> SplitCsvLine(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"')
            {
                cell.Append('"');
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return cells;
    }
}
