using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using CertLibrary.QrImages;
using CertLibrary.Verification;

// Offline verifier: no network. Usage:
//   certlib-verify (--qr TEXT | --qr-file PATH | --qr-png PATH) --trust-list trust-list.json [--status-list list.json ...]
//                  [--root root-jwks.json] [--log-proof bundle.json] [--now RFC3339]
// Exit code 0 when valid, 1 when not, 2 on a usage error.
string? qr = null, qrPng = null, trustListPath = null, rootPath = null, logProofPath = null;
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
            case "--qr-png":
                qrPng = Next();
                break;
            case "--log-proof":
                logProofPath = Next();
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

if ((qr is null && qrPng is null) || trustListPath is null)
{
    return Usage("--qr (or --qr-file or --qr-png) and --trust-list are required");
}

string? imageProblem = null;
if (qr is null)
{
    if (!File.Exists(qrPng))
    {
        return Usage($"{qrPng} not found");
    }

    (qr, imageProblem) = QrImageDecoder.DecodeFile(qrPng!);
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
var trustList = File.ReadAllText(trustListPath);
var report = imageProblem is null
    ? await CertLibrary.Verification.OfflineVerifier.VerifyAsync(qr!, trustList, statusLists.Select(File.ReadAllText), roots, suites, now)
    : new VerificationReport(VerificationResults.Invalid, [imageProblem], null, now);

string? logInclusion = null;
if (logProofPath is not null && report.Certificate is { } verified)
{
    var (logged, failure) = CertLibrary.Verification.OfflineVerifier.VerifyLogProof(File.ReadAllText(logProofPath), trustList, roots, suites, now);
    if (failure is null && logged != verified.Id)
    {
        failure = $"the log proof is for certificate {logged}, not {verified.Id}";
    }

    if (failure is null)
    {
        logInclusion = "included in the transparency log (tree head signed by the platform root keys)";
    }
    else
    {
        report = report with { Result = VerificationResults.Invalid, Reasons = [.. report.Reasons, "log proof: " + failure] };
    }
}

var output = new JsonObject
{
    ["result"] = report.Result,
    ["reasons"] = new JsonArray([.. report.Reasons.Select(r => (JsonNode)JsonValue.Create(r)!)]),
    ["certificate"] = report.Certificate is { } c ? JsonSerializer.SerializeToNode(c, new JsonSerializerOptions(JsonSerializerDefaults.Web)) : null,
    ["checkedAt"] = report.CheckedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
    ["trustListStaleSince"] = report.TrustListStaleSince?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
};
if (logInclusion is not null)
{
    output["logInclusion"] = logInclusion;
}

Console.WriteLine(output.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
if (report.TrustListStaleSince is { } stale)
{
    Console.Error.WriteLine($"warning: trust list stale since {stale:O}; fetch a fresh one when online.");
}

return report.Result == VerificationResults.Valid ? 0 : 1;

static int Usage(string problem)
{
    Console.Error.WriteLine($"error: {problem}");
    Console.Error.WriteLine("usage: CertLibrary.OfflineVerifier (--qr TEXT | --qr-file PATH | --qr-png PATH) --trust-list PATH [--status-list PATH ...] [--root PATH] [--log-proof PATH] [--now TIME]");
    return 2;
}
