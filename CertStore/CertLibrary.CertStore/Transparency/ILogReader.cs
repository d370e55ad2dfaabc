using CertLibrary.TransparencyLog;

namespace CertLibrary.CertStore.Transparency;

/// <summary>
/// Reads the stored transparency log (SPEC §7): its committed size, its complete-subtree nodes and its entries.
/// Writes happen elsewhere, inside the transaction of the change they record.
/// </summary>
public interface ILogReader : IMerkleNodeReader
{
    /// <summary>The most entries one <see cref="GetEntriesAsync"/> call returns.</summary>
    const int MaxEntriesPerPage = 1000;

    /// <summary>Reads the committed number of entries.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The tree size; every node and entry below it is stored.</returns>
    Task<long> GetTreeSizeAsync(CancellationToken cancellationToken);

    /// <summary>Reads the entries <c>[start, end)</c>, at most <see cref="MaxEntriesPerPage"/> of them, in index order.</summary>
    /// <param name="start">The first index, inclusive.</param>
    /// <param name="end">The last index, exclusive.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The stored entries in the range; fewer than asked when the range passes the end of the log.</returns>
    Task<IReadOnlyList<StoredLogEntry>> GetEntriesAsync(long start, long end, CancellationToken cancellationToken);
}

/// <summary>One stored log entry.</summary>
/// <param name="Index">The 0-based position of the entry in the log.</param>
/// <param name="LeafInput">The exact bytes hashed into the leaf (the canonical JSON of a <see cref="LogEntry"/>).</param>
public sealed record StoredLogEntry(long Index, byte[] LeafInput);
