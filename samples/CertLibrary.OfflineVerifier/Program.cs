using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using CertLibrary.Verification;

// Offline verifier: no network. Usage:
//   certlib-verify (--qr TEXT | --qr-file PATH) --trust-list trust-list.json [--status-list list.json ...] [--root root-jwks.json] [--now RFC3339]
// Exit code 0 when valid, 1 when not, 2 on a usage error.
string? qr = null, trustListPath = null, rootPath = null;
var statusLists = new List<string>();
var now = DateTimeOffset.UtcNow;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    try
    {
        switch (args[i])
        {
            case "--qr":
                qr = Next();
                break;
            case "--qr-file":
                qr = File.ReadAllText(Next()).Trim();
                break;
            case "--trust-list":
                trustListPath = Next();
                break;
            case "--status-list":
                statusLists.Add(Next());
                break;
            case "--root":
                rootPath = Next();
                break;
            case "--now":
                now = DateTimeOffset.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture);
                break;
            default:
                return Usage($"unknown option {args[i]}");
        }
    }
    catch (Exception e) when (e is ArgumentException or FormatException or IOException)
    {
        return Usage(e.Message);
    }
}

if (qr is null || trustListPath is null)
{
    return Usage("--qr (or --qr-file) and --trust-list are required");
}

IEnumerable<JsonObject>? roots = null;
if (rootPath is not null)
{
    roots = JsonNode.Parse(File.ReadAllText(rootPath)) switch
    {
        JsonArray array => array.OfType<JsonObject>().ToList(),
        JsonObject { } one when one["keys"] is JsonArray keys => keys.OfType<JsonObject>().ToList(),
        JsonObject one => [one],
        _ => null,
    };
}

var suites = new SignatureSuites([new Es256Suite(), new Sm2Suite()]);
var report = await OfflineVerifier.VerifyAsync(
    qr, File.ReadAllText(trustListPath), statusLists.Select(File.ReadAllText), roots, suites, now);

var output = new JsonObject
{
    ["result"] = report.Result,
    ["reasons"] = new JsonArray([.. report.Reasons.Select(r => (JsonNode)JsonValue.Create(r)!)]),
    ["certificate"] = report.Certificate is { } c ? JsonSerializer.SerializeToNode(c, new JsonSerializerOptions(JsonSerializerDefaults.Web)) : null,
    ["checkedAt"] = report.CheckedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
    ["trustListStaleSince"] = report.TrustListStaleSince?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
};
Console.WriteLine(output.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
if (report.TrustListStaleSince is { } stale)
{
    Console.Error.WriteLine($"warning: trust list stale since {stale:O}; fetch a fresh one when online.");
}

return report.Result == VerificationResults.Valid ? 0 : 1;

static int Usage(string problem)
{
    Console.Error.WriteLine($"error: {problem}");
    Console.Error.WriteLine("usage: CertLibrary.OfflineVerifier (--qr TEXT | --qr-file PATH) --trust-list PATH [--status-list PATH ...] [--root PATH] [--now TIME]");
    return 2;
}
