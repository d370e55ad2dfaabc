using System.Net;
using System.Text;
using System.Text.Json;
using System.Web;

namespace CertLibrary.TransparencyLog.Tests;

/// <summary>An HTTP transparency log (SPEC §7) served from memory, with switches to make it lie.</summary>
internal sealed class FakeLogHandler : HttpMessageHandler
{
    public static readonly Uri BaseAddress = new("http://log.test/api/v1/log/");

    private readonly List<byte[]> leafInputs = [];
    private readonly InMemoryMerkleNodeStore store = new();

    /// <summary>Leaf inputs served by <c>entries</c> in place of the ones hashed into the tree.</summary>
    public Dictionary<long, byte[]> ServedInsteadOf { get; } = [];

    /// <summary>Decoded entries served in place of the decoded leaf input.</summary>
    public Dictionary<long, string> ShownEntryInsteadOf { get; } = [];

    /// <summary>The most entries one <c>entries</c> call returns, like a server-side page limit.</summary>
    public int MaxPage { get; set; } = 3;

    public int Requests { get; private set; }

    public long Size => store.Size;

    public static byte[] Entry(int i, string eventType = LogEventTypes.Issue) =>
        new LogEntry(eventType, $"CERT-{i:D6}", null, null, "330100", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + i), null).ToLeafInput();

    public void Append(byte[] leafInput)
    {
        leafInputs.Add(leafInput);
        store.Append(leafInput);
    }

    public HttpClient Client() => new(this, disposeHandler: false) { BaseAddress = BaseAddress };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests++;
        var path = request.RequestUri!.AbsolutePath[BaseAddress.AbsolutePath.Length..];
        var query = HttpUtility.ParseQueryString(request.RequestUri.Query);
        long Q(string name) => long.Parse(query[name]!, System.Globalization.CultureInfo.InvariantCulture);
        var size = store.Size;

        object? body = path switch
        {
            "tree-head" => new
            {
                treeSize = size,
                timestamp = 1_700_000_000_000 + size,
                rootHash = Convert.ToBase64String(await MerkleProofs.RootAsync(store, size, cancellationToken)),
                signature = "unsigned",
            },
            "proof/consistency" => new
            {
                first = Q("first"),
                second = Q("second"),
                consistency = (await MerkleProofs.ConsistencyProofAsync(store, Q("first"), Q("second"), cancellationToken)).Select(Convert.ToBase64String),
            },
            "proof/inclusion" => new
            {
                leafIndex = Q("index"),
                treeSize = Q("treeSize"),
                auditPath = (await MerkleProofs.InclusionProofAsync(store, Q("index"), Q("treeSize"), cancellationToken)).Select(Convert.ToBase64String),
            },
            "entries" => new
            {
                entries = Enumerable.Range(0, (int)Math.Min(Q("end") - Q("start"), MaxPage))
                    .Select(i => Q("start") + i)
                    .Where(i => i < size)
                    .Select(i =>
                    {
                        var served = ServedInsteadOf.GetValueOrDefault(i, leafInputs[(int)i]);
                        var shown = ShownEntryInsteadOf.GetValueOrDefault(i, Encoding.UTF8.GetString(served));
                        return new { index = i, leafInput = Convert.ToBase64String(served), entry = JsonDocument.Parse(shown).RootElement };
                    }),
            },
            _ => null,
        };

        return body is null
            ? new HttpResponseMessage(HttpStatusCode.NotFound)
            : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };
    }
}
