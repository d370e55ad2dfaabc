using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CertLibrary.Identifiers;

namespace CertLibrary.Cli.Import;

/// <summary>
/// Reads the rows of a CSV file (RFC 4180, header row) or of a JSON Lines file (one issue request per line, SPEC §8).
/// Values are only read here; <see cref="RowValidator"/> judges them.
/// </summary>
internal static partial class ImportFileReader
{
    private static readonly string[] RequiredColumns = ["typeCode", "name", "number"];

    /// <summary>The holder columns: a citizen's identity number or an organisation's credit code; at least one is required.</summary>
    private static readonly string[] HolderColumns = ["idNumber", "creditCode"];
    private static readonly string[] OptionalColumns = ["validFrom", "validUntil"];
    private static readonly HashSet<string> FieldTypes = new(StringComparer.Ordinal) { "string", "date", "number", "boolean" };
    private static readonly HashSet<string> RequestProperties = new(StringComparer.Ordinal) { "typeCode", "holder", "number", "validFrom", "validUntil", "fields" };
    private static readonly HashSet<string> HolderProperties = new(StringComparer.Ordinal) { "idNumber", "creditCode", "name" };

    /// <summary>The format named by the file's extension: <c>.csv</c>, or <c>.jsonl</c> / <c>.ndjson</c>.</summary>
    public static ImportFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" => ImportFormat.Csv,
        ".jsonl" or ".ndjson" => ImportFormat.JsonLines,
        _ => null,
    };

    public static ReadResult Read(byte[] content, ImportFormat format)
    {
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (DecoderFallbackException)
        {
            return new ReadResult([], ["The file is not UTF-8. Save it as UTF-8 (in Excel: \"CSV UTF-8\"), not GBK."]);
        }

        text = text.TrimStart('\uFEFF');
        return format == ImportFormat.Csv ? ReadCsv(text) : ReadJsonLines(text);
    }

    private static ReadResult ReadCsv(string text)
    {
        var records = ParseCsv(text, out var syntaxError);
        if (syntaxError is not null)
        {
            return new ReadResult([], [syntaxError]);
        }

        if (records.Count == 0)
        {
            return new ReadResult([], ["The file is empty: a header row is required."]);
        }

        var header = records[0].Cells.Select(c => c.Trim()).ToArray();
        var fileErrors = new List<string>();
        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var fieldColumns = new List<(int Index, string Name, string Type)>();
        for (var i = 0; i < header.Length; i++)
        {
            var name = header[i];
            if (name.StartsWith("fields.", StringComparison.Ordinal))
            {
                var match = FieldColumn().Match(name);
                if (!match.Success || (match.Groups["type"].Success && !FieldTypes.Contains(match.Groups["type"].Value)))
                {
                    fileErrors.Add($"Column {i + 1} '{name}': a field column is fields.<name> or fields.<name>:<string|date|number|boolean>.");
                }
                else if (fieldColumns.Any(f => f.Name == match.Groups["name"].Value))
                {
                    fileErrors.Add($"Column {i + 1} '{name}': field '{match.Groups["name"].Value}' appears twice.");
                }
                else
                {
                    fieldColumns.Add((i, match.Groups["name"].Value, match.Groups["type"].Success ? match.Groups["type"].Value : "string"));
                }
            }
            else if (RequiredColumns.Concat(HolderColumns).Concat(OptionalColumns).FirstOrDefault(c => c.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } known)
            {
                if (!columns.TryAdd(known, i))
                {
                    fileErrors.Add($"Column {i + 1} '{name}' appears twice.");
                }
            }
            else
            {
                fileErrors.Add($"Column {i + 1} '{name}' is unknown; columns are {string.Join(", ", RequiredColumns.Concat(HolderColumns).Concat(OptionalColumns))} and fields.<name>.");
            }
        }

        fileErrors.AddRange(RequiredColumns.Where(c => !columns.ContainsKey(c)).Select(c => $"Required column '{c}' is missing."));
        if (!HolderColumns.Any(columns.ContainsKey))
        {
            fileErrors.Add("Required column 'idNumber' (citizens) or 'creditCode' (organisations) is missing.");
        }
        if (fileErrors.Count > 0)
        {
            return new ReadResult([], fileErrors);
        }

        var rows = new List<SourceRow>();
        foreach (var record in records.Skip(1))
        {
            if (record.Cells.Count == 1 && record.Cells[0].Length == 0)
            {
                continue; // blank line
            }

            var errors = new List<RowError>();
            if (record.Cells.Count != header.Length)
            {
                errors.Add(new RowError("row", $"has {record.Cells.Count} cells but the header has {header.Length}"));
            }

            string? Cell(string column) =>
                columns.TryGetValue(column, out var index) && index < record.Cells.Count && record.Cells[index].Trim() is { Length: > 0 } value ? value : null;

            var fields = new JsonObject();
            foreach (var (index, name, type) in fieldColumns)
            {
                var raw = index < record.Cells.Count ? record.Cells[index].Trim() : "";
                if (raw.Length == 0)
                {
                    continue;
                }

                if (ConvertField(raw, type) is { } value)
                {
                    fields[name] = value;
                }
                else
                {
                    errors.Add(new RowError($"fields.{name}", type switch
                    {
                        "number" => "expected " + FieldNumber.Rule,
                        "boolean" => "expected true/false (or 是/否, 1/0)",
                        _ => "expected a date as yyyy-MM-dd",
                    }));
                }
            }

            rows.Add(new SourceRow(record.Line, Cell("typeCode"), Cell("idNumber"), Cell("name"), Cell("number"), Cell("validFrom"), Cell("validUntil"), fields, errors)
            {
                CreditCode = Cell("creditCode"),
            });
        }

        return new ReadResult(rows, []);
    }

    private static JsonNode? ConvertField(string raw, string type) => type switch
    {
        "number" => FieldNumber.IsValid(raw) && decimal.TryParse(raw, NumberStyles.Number & ~NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var number)
            ? JsonValue.Create(number) : null,
        "boolean" => raw.ToLowerInvariant() switch
        {
            "true" or "1" or "是" => JsonValue.Create(true),
            "false" or "0" or "否" => JsonValue.Create(false),
            _ => null,
        },
        "date" => DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) ? JsonValue.Create(raw) : null,
        _ => JsonValue.Create(raw),
    };

    private static ReadResult ReadJsonLines(string text)
    {
        var rows = new List<SourceRow>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            rows.Add(ReadJsonLine(i + 1, line));
        }

        return new ReadResult(rows, []);
    }

    private static SourceRow ReadJsonLine(int lineNumber, string line)
    {
        var errors = new List<RowError>();
        JsonObject request;
        try
        {
            if (JsonNode.Parse(line, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }) is not JsonObject parsed)
            {
                return new SourceRow(lineNumber, null, null, null, null, null, null, [], [new RowError("line", "is not a JSON object")]);
            }

            request = parsed;
        }
        catch (JsonException)
        {
            return new SourceRow(lineNumber, null, null, null, null, null, null, [], [new RowError("line", "is not valid JSON")]);
        }

        errors.AddRange(request.Where(p => !RequestProperties.Contains(p.Key)).Select(p => new RowError(p.Key, "is not a property of an issue request")));
        var holder = request["holder"] as JsonObject;
        if (request["holder"] is not null and not JsonObject)
        {
            errors.Add(new RowError("holder", "must be an object {idNumber, name} or {creditCode, name}"));
        }

        if (holder is not null)
        {
            errors.AddRange(holder.Where(p => !HolderProperties.Contains(p.Key)).Select(p => new RowError($"holder.{p.Key}", "is not a property of the holder")));
        }

        var fields = request["fields"] as JsonObject;
        if (request["fields"] is not null and not JsonObject)
        {
            errors.Add(new RowError("fields", "must be an object"));
        }

        // Which fields are numbers is the type's to say, on the server; a number no field may hold is refused here already.
        errors.AddRange((fields ?? []).Where(f => f.Value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && !FieldNumber.IsValid(v.ToJsonString()))
            .Select(f => new RowError($"fields.{f.Key}", "expected " + FieldNumber.Rule)));

        return new SourceRow(lineNumber, Text(request, "typeCode", errors), Text(holder, "idNumber", errors, "holder."), Text(holder, "name", errors, "holder."),
            Text(request, "number", errors), Text(request, "validFrom", errors), Text(request, "validUntil", errors),
            fields is null ? [] : (JsonObject)fields.DeepClone(), errors)
        {
            CreditCode = Text(holder, "creditCode", errors, "holder."),
        };
    }

    private static string? Text(JsonObject? parent, string name, List<RowError> errors, string prefix = "")
    {
        var node = parent?[name];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            return value.GetValue<string>().Trim() is { Length: > 0 } s ? s : null;
        }

        errors.Add(new RowError(prefix + name, "must be a string"));
        return null;
    }

    private sealed record CsvRecord(int Line, List<string> Cells);

    // RFC 4180: fields separated by commas, optionally quoted; "" inside quotes is a quote; quoted fields may span lines.
    private static List<CsvRecord> ParseCsv(string text, out string? error)
    {
        error = null;
        var records = new List<CsvRecord>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var quoted = false;
        var cellStarted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        cell.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        line++;
                    }

                    cell.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when cell.Length == 0 && !cellStarted:
                    quoted = true;
                    cellStarted = true;
                    break;
                case ',':
                    cells.Add(cell.ToString());
                    cell.Clear();
                    cellStarted = false;
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\n' or '\r':
                    cells.Add(cell.ToString());
                    records.Add(new CsvRecord(recordLine, cells));
                    cells = [];
                    cell.Clear();
                    cellStarted = false;
                    line++;
                    recordLine = line;
                    break;
                default:
                    cell.Append(c);
                    cellStarted = true;
                    break;
            }
        }

        if (quoted)
        {
            error = $"Line {recordLine}: a quoted value is never closed.";
            return records;
        }

        if (cell.Length > 0 || cells.Count > 0 || cellStarted)
        {
            cells.Add(cell.ToString());
            records.Add(new CsvRecord(recordLine, cells));
        }

        return records;
    }

    [GeneratedRegex("^fields\\.(?<name>[A-Za-z][A-Za-z0-9_]{0,63})(:(?<type>[a-z]+))?$")]
    private static partial Regex FieldColumn();
}
