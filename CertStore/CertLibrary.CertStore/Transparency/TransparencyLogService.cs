using CertLibrary.CertStore.Model;
using CertLibrary.Signing;
using CertLibrary.TransparencyLog;

namespace CertLibrary.CertStore.Transparency;

/// <summary>
/// Serves the transparency log (SPEC §7): signed tree heads, inclusion and consistency proofs and entry pages,
/// all checked against the committed tree size. Proofs read O(log n) stored nodes in one query.
/// </summary>
/// <remarks>
/// A tree head is signed once per tree size (JWS JSON General Serialization by every platform key over the
/// RFC 6962 <c>TreeHeadSignature</c> bytes) and kept in memory until the log grows, so polling auditors cost
/// one size query each.
/// </remarks>
public sealed class TransparencyLogService(ILogReader reader, KeyManager keys, TimeProvider time)
{
    /// <summary>The JWS <c>typ</c> of a tree head signature.</summary>
    public const string SignatureType = "certlib-sth+json";

    private readonly SemaphoreSlim _signing = new(1, 1);
    private volatile SignedTreeHead? _latest;

    /// <summary>Returns the signed head of the committed tree.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The tree head with <see cref="SignedTreeHead.Signature"/> set.</returns>
    public async Task<SignedTreeHead> GetTreeHeadAsync(CancellationToken cancellationToken)
    {
        var size = await reader.GetTreeSizeAsync(cancellationToken);
        if (_latest is { } cached && cached.TreeSize == size)
        {
            return cached;
        }

        await _signing.WaitAsync(cancellationToken);
        try
        {
            if (_latest is { } again && again.TreeSize == size)
            {
                return again;
            }

            var root = await MerkleProofs.RootAsync(reader, size, cancellationToken);
            var head = SignedTreeHead.Create(size, time.GetUtcNow(), root);
            var signers = await keys.GetSignersAsync(SigningKeyRecord.PlatformOwner, cancellationToken);
            var signed = head with { Signature = Jws.SignGeneral(head.ToSigningInput(), signers, SignatureType).ToJsonString() };
            if (_latest is null || _latest.TreeSize < size)
            {
                _latest = signed;
            }

            return signed;
        }
        finally
        {
            _signing.Release();
        }
    }

    /// <summary>Builds the audit path of entry <paramref name="leafIndex"/> in the tree of size <paramref name="treeSize"/>.</summary>
    /// <param name="leafIndex">The 0-based entry index; below <paramref name="treeSize"/>.</param>
    /// <param name="treeSize">A tree size no greater than the committed one.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The proof, or a validation error naming the bad parameter.</returns>
    public async Task<CertStoreResult<InclusionProof>> GetInclusionProofAsync(long leafIndex, long treeSize, CancellationToken cancellationToken)
    {
        var size = await reader.GetTreeSizeAsync(cancellationToken);
        if (treeSize < 1 || treeSize > size)
        {
            return CertStoreError.Invalid("treeSize", $"treeSize must be between 1 and the current tree size {size}.");
        }

        if (leafIndex < 0 || leafIndex >= treeSize)
        {
            return CertStoreError.Invalid("index", "index must be at least 0 and below treeSize.");
        }

        var path = await MerkleProofs.InclusionProofAsync(reader, leafIndex, treeSize, cancellationToken);
        return new InclusionProof(leafIndex, treeSize, path);
    }

    /// <summary>Builds the consistency proof between the trees of sizes <paramref name="first"/> and <paramref name="second"/>.</summary>
    /// <param name="first">The older size, from 0.</param>
    /// <param name="second">The newer size, no greater than the committed one.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The proof, or a validation error naming the bad parameter.</returns>
    public async Task<CertStoreResult<ConsistencyProof>> GetConsistencyProofAsync(long first, long second, CancellationToken cancellationToken)
    {
        var size = await reader.GetTreeSizeAsync(cancellationToken);
        if (second < 0 || second > size)
        {
            return CertStoreError.Invalid("second", $"second must be between 0 and the current tree size {size}.");
        }

        if (first < 0 || first > second)
        {
            return CertStoreError.Invalid("first", "first must be between 0 and second.");
        }

        var proof = await MerkleProofs.ConsistencyProofAsync(reader, first, second, cancellationToken);
        return new ConsistencyProof(first, second, proof);
    }

    /// <summary>Reads the entries <c>[start, end)</c>, at most <see cref="ILogReader.MaxEntriesPerPage"/>, cut at the committed size.</summary>
    /// <param name="start">The first index; below the committed size.</param>
    /// <param name="end">The exclusive end; greater than <paramref name="start"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The entries, or a validation error naming the bad parameter.</returns>
    public async Task<CertStoreResult<IReadOnlyList<StoredLogEntry>>> GetEntriesAsync(long start, long end, CancellationToken cancellationToken)
    {
        var size = await reader.GetTreeSizeAsync(cancellationToken);
        if (start < 0 || start >= size)
        {
            return CertStoreError.Invalid("start", $"start must be at least 0 and below the current tree size {size}.");
        }

        if (end <= start)
        {
            return CertStoreError.Invalid("end", "end must be greater than start.");
        }

        var entries = await reader.GetEntriesAsync(start, Math.Min(end, size), cancellationToken);
        return new CertStoreResult<IReadOnlyList<StoredLogEntry>>(entries, null);
    }
}
