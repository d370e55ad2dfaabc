using System.Text.Json.Nodes;

namespace CertLibrary.Cli.Import;

/// <summary>The formats <c>certlib import</c> reads.</summary>
internal enum ImportFormat
{
    Csv,
    JsonLines,
}

/// <summary>Something wrong with one row: the column (or JSON path) and why. Never contains the identity number.</summary>
internal sealed record RowError(string Field, string Reason);

/// <summary>One row of the input as read, before validation; <paramref name="Line"/> is the 1-based line where it starts.</summary>
internal sealed record SourceRow(
    int Line, string? TypeCode, string? IdNumber, string? Name, string? Number, string? ValidFrom, string? ValidUntil, JsonObject Fields,
    IReadOnlyList<RowError> ReadErrors)
{
    /// <summary>An organisation holder's credit code (column or <c>holder.creditCode</c>), instead of <see cref="IdNumber"/>.</summary>
    public string? CreditCode { get; init; }
}

/// <summary>
/// A row that passed every check, with the exact issue request that will be sent for it (SPEC §8).
/// <paramref name="MaskedIdNumber"/> is the holder as reports show it: a masked identity number, or a credit code in full.
/// </summary>
internal sealed record ValidRow(int Line, string Number, string MaskedIdNumber, JsonObject Request);

/// <summary>A row that failed: its line, the holder as reports show it (identity number masked), and every reason.</summary>
internal sealed record InvalidRow(int Line, string MaskedIdNumber, IReadOnlyList<RowError> Errors);

/// <summary>The rows of a file, or why the file as a whole cannot be read (bad header, not UTF-8, ...).</summary>
internal sealed record ReadResult(IReadOnlyList<SourceRow> Rows, IReadOnlyList<string> FileErrors);
