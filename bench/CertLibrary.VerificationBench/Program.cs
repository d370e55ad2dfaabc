using System.Diagnostics;
using System.Text;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using CertLibrary.Verification;

// Offline QR verifications per second against the raw signature-verify rate of the same algorithm, same run.
// Usage: dotnet run -c Release --project bench/CertLibrary.VerificationBench [-- seconds-per-measurement]
var seconds = args.Length > 0 && double.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 2.0;
const string Department = "11100000000013338W";
const string Type = Department + "001";
Console.WriteLine("| alg | raw verify/s | offline QR verify/s | ratio |");
Console.WriteLine("|---|---:|---:|---:|");
foreach (ISignatureSuite suite in new ISignatureSuite[] { new Es256Suite(), new Sm2Suite() })
{
    var pair = suite.GenerateKeyPair();
    var kid = KeyId.Compute(pair.SubjectPublicKeyInfo);
    var signer = new JwsSigner(suite.Algorithm, kid, suite.CreateSigner(pair.Pkcs8PrivateKey));
    var resolver = new StaticJwsKeyResolver([new JwsVerificationKey(suite, kid, pair.SubjectPublicKeyInfo) { OwnerCode = Department }]);
    var now = DateTimeOffset.UtcNow;
    var qr = OfflineQr.Create(new QrClaims($"1.2.156.3005.2.{Type}.{Department}.ABCDEFGHIJ0123456789.001.X", Type, Department, "张小三",
        now.AddDays(-1), now.AddYears(1), "1", 42), "11010519491231002X", signer);
    var verifier = new CertificateVerifier(resolver, new AlwaysValid());
    var data = Encoding.ASCII.GetBytes("benchmark input of a typical signing input length ......................................");
    var signature = signer.Signer.Sign(data);

    var raw = Rate(seconds, () => suite.Verify(pair.SubjectPublicKeyInfo, data, signature) ? 1 : throw new InvalidOperationException());
    var full = Rate(seconds, () => verifier.VerifyQrAsync(qr, now, CancellationToken.None).GetAwaiter().GetResult().Result == VerificationResults.Valid ? 1 : throw new InvalidOperationException());
    Console.WriteLine($"| {suite.Algorithm} | {raw:F0} | {full:F0} | {full / raw:P0} |");
}

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
