using System.Diagnostics;
using System.Text;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using CertLibrary.Verification;

// Offline QR verifications per second against the raw signature-verify rate of the same algorithms, same run, one
// thread: format 1 (one signature) and format 2 (COSE; the dual-signed one against one SM2 plus one ES256 verification).
// Usage: dotnet run -c Release --project bench/CertLibrary.VerificationBench [-- seconds-per-measurement]
var seconds = args.Length > 0 && double.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 2.0;
const string Department = "11100000000013338W";
const string Type = Department + "001";
var now = DateTimeOffset.UtcNow;
var claims = new QrClaims($"1.2.156.3005.2.{Type}.{Department}.ABCDEFGHIJ0123456789.001.X", Type, Department, "张小三", now.AddDays(-1), now.AddYears(1), "1", 42);
var data = Encoding.ASCII.GetBytes("benchmark input of a typical signing input length ......................................");
var keys = new Dictionary<string, (ISignatureSuite Suite, SigningKeyPair Pair, JwsSigner Signer, JwsVerificationKey Key, byte[] Signature)>(StringComparer.Ordinal);
foreach (ISignatureSuite suite in new ISignatureSuite[] { new Sm2Suite(), new Es256Suite() })
{
    var pair = suite.GenerateKeyPair();
    var kid = KeyId.Compute(pair.SubjectPublicKeyInfo);
    var signer = new JwsSigner(suite.Algorithm, kid, suite.CreateSigner(pair.Pkcs8PrivateKey));
    keys[suite.Algorithm] = (suite, pair, signer, new JwsVerificationKey(suite, kid, pair.SubjectPublicKeyInfo) { OwnerCode = Department }, signer.Signer.Sign(data));
}

var verifier = new CertificateVerifier(new StaticJwsKeyResolver(keys.Values.Select(k => k.Key)), new AlwaysValid());
int Raw(string algorithm) => keys[algorithm].Suite.Verify(keys[algorithm].Pair.SubjectPublicKeyInfo, data, keys[algorithm].Signature) ? 1 : throw new InvalidOperationException();
int Full(string qr) => verifier.VerifyQrAsync(qr, now, CancellationToken.None).GetAwaiter().GetResult().Result == VerificationResults.Valid ? 1 : throw new InvalidOperationException();
var (salt, binding) = (new byte[12], new byte[12]);

Console.WriteLine("| QR | raw verify/s | QR verify/s | ratio |");
Console.WriteLine("|---|---:|---:|---:|");
foreach (var algorithm in new[] { "ES256", "SM2" })
{
    var raw = Rate(seconds, () => Raw(algorithm));
    var formatOne = OfflineQr.Create(claims, "11010519491231002X", keys[algorithm].Signer);
    var formatTwo = CoseQr.Create(claims, salt, binding, [keys[algorithm].Signer]);
    var one = Rate(seconds, () => Full(formatOne));
    var two = Rate(seconds, () => Full(formatTwo));
    Console.WriteLine($"| format 1, {algorithm} | {raw:F0} | {one:F0} | {one / raw:P0} |");
    Console.WriteLine($"| format 2, {algorithm} | {raw:F0} | {two:F0} | {two / raw:P0} |");
}

var dual = CoseQr.Create(claims, salt, binding, [keys["SM2"].Signer, keys["ES256"].Signer]);
var pairs = Rate(seconds, () => Raw("SM2") & Raw("ES256"));
var dualRate = Rate(seconds, () => Full(dual));
Console.WriteLine($"| format 2, SM2 + ES256 (raw: one of each) | {pairs:F0} | {dualRate:F0} | {dualRate / pairs:P0} |");

static double Rate(double seconds, Func<int> action)
{
    for (var i = 0; i < 50; i++)
    {
        action();
    }

    var watch = Stopwatch.StartNew();
    var count = 0;
    while (watch.Elapsed.TotalSeconds < seconds)
    {
        count += action();
    }

    return count / watch.Elapsed.TotalSeconds;
}

internal sealed class AlwaysValid : ICertificateStatusSource
{
    public ValueTask<(CertificateState State, string? Note)> GetStateAsync(string id, string listId, int index, CancellationToken cancellationToken) =>
        ValueTask.FromResult<(CertificateState, string?)>((CertificateState.Valid, null));
}
