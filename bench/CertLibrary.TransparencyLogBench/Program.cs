using System.Diagnostics;
using System.Globalization;
using System.Text;
using CertLibrary.TransparencyLog;
using Microsoft.Data.Sqlite;
using CertLibrary.TransparencyLogBench;

// CertLibrary.TransparencyLogBench [--smoke]: appends/s and proof generation time at growing log sizes, in memory and on SQLite.
var smoke = args.Contains("--smoke");
long[] sizes = smoke ? [1_000, 10_000] : [10_000, 100_000, 1_000_000];
var proofs = smoke ? 200 : 1_000;
var directory = Path.Combine(Path.GetTempPath(), "certlib-bench-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(directory);
var random = new Random(6962);

Console.WriteLine("store\tsize\tappends/s\tinclusion µs\tconsistency µs\tnodes/proof");
try
{
    var memory = new InMemoryMerkleNodeStore();
    using var sqlite = new SqliteMerkleLog(Path.Combine(directory, "log.db"));
    foreach (var size in sizes)
    {
        var watch = Stopwatch.StartNew();
        var before = memory.Size;
        while (memory.Size < size)
        {
            memory.Append(Leaf(memory.Size));
        }

        Report("memory", memory, size, (size - before) / watch.Elapsed.TotalSeconds);

        watch.Restart();
        before = sqlite.Size;
        while (sqlite.Size < size)
        {
            var batch = (int)Math.Min(10_000, size - sqlite.Size);
            var start = sqlite.Size;
            await sqlite.AppendAsync(Enumerable.Range(0, batch).Select(i => Leaf(start + i)));
        }

        Report("sqlite", sqlite, size, (size - before) / watch.Elapsed.TotalSeconds);
    }
}
finally
{
    SqliteConnection.ClearAllPools();
    Directory.Delete(directory, recursive: true);
}

return 0;

void Report(string store, IMerkleNodeReader reader, long size, double appendsPerSecond)
{
    var counter = new CountingReader(reader);
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < proofs; i++)
    {
        _ = MerkleProofs.InclusionProofAsync(counter, random.NextInt64(size), size).AsTask().GetAwaiter().GetResult();
    }

    var inclusion = watch.Elapsed.TotalMicroseconds / proofs;
    var nodes = (double)counter.Nodes / proofs;
    watch.Restart();
    for (var i = 0; i < proofs; i++)
    {
        _ = MerkleProofs.ConsistencyProofAsync(reader, 1 + random.NextInt64(size - 1), size).AsTask().GetAwaiter().GetResult();
    }

    var consistency = watch.Elapsed.TotalMicroseconds / proofs;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{store}\t{size}\t{appendsPerSecond:F0}\t{inclusion:F1}\t{consistency:F1}\t{nodes:F1}"));
}

static byte[] Leaf(long index) => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
    $"{{\"eventType\":\"issue\",\"certificateId\":\"bench-{index}\",\"departmentCode\":\"000000\",\"time\":\"2026-01-01T00:00:00Z\"}}"));

// Counts the nodes a proof reads, to show it grows with log n.
internal sealed class CountingReader(IMerkleNodeReader inner) : IMerkleNodeReader
{
    public long Nodes { get; private set; }

    public ValueTask<byte[]> GetNodeAsync(int level, long index, CancellationToken cancellationToken)
    {
        Nodes++;
        return inner.GetNodeAsync(level, index, cancellationToken);
    }

    public ValueTask<IReadOnlyDictionary<(int Level, long Index), byte[]>> GetNodesAsync(
        IReadOnlyCollection<(int Level, long Index)> ids, CancellationToken cancellationToken)
    {
        Nodes += ids.Count;
        return inner.GetNodesAsync(ids, cancellationToken);
    }
}
