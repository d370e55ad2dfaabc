using System.Formats.Asn1;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using CertLibrary.Verification;

namespace CertLibrary.Api.Tests;

/// <summary>
/// Format 2 of the offline QR both ways with implementations nobody on the team wrote (tests/interop: npm base45, pako,
/// cbor, @noble/curves for ES256, sm-crypto for SM2): QRs the API issues verify there with the trust list's keys, and
/// QRs made there verify here (and, COSE_Sign1 ES256, with System.Security.Cryptography.Cose).
/// </summary>
public sealed class CoseQrInteropTests : IAsyncLifetime
{
    private const string DisabilityType = ApiFactory.CivilAffairs + "002";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_796_000_000);
    private readonly ApiFactory _factory = new();
    private HttpClient _civil = null!;

    public async Task InitializeAsync()
    {
        _civil = await _factory.StartWithCivilAffairsClientAsync();
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ApiQr_DualSigned_NodeVerifiesBothSignaturesWithTrustListKeys()
    {
        var id = await IssueAsync(ApiFactory.MarriageRequest());
        var qr = await OfflineQrAsync(id);

        var decoded = await NodeVerifyAsync(qr);

        Assert.Equal(98, decoded.GetProperty("tag").GetInt32());
        Assert.Equal(["SM2:True", "ES256:True"], Signatures(decoded));
        var claims = decoded.GetProperty("claims");
        Assert.Equal(id, claims.GetProperty("id").GetString());
        Assert.Equal("张*三", claims.GetProperty("name").GetString());
        Assert.Equal(24, claims.GetProperty("binding").GetString()!.Length);
        Assert.Equal(24, claims.GetProperty("salt").GetString()!.Length);
        Assert.True(claims.GetProperty("exp").GetInt64() > claims.GetProperty("nbf").GetInt64());
    }

    [Fact]
    public async Task ApiQr_Sm2Sign1_NodeVerifies_AndAlteredSignatureFailsThere()
    {
        var id = await IssueAsync(new
        {
            typeCode = DisabilityType,
            holder = new { idNumber = ApiFactory.HolderNumber, name = "张小三" },
            number = "D" + Guid.NewGuid().ToString("N")[..8],
            fields = new { category = "肢体残疾", grade = 2 },
        });
        var qr = await OfflineQrAsync(id);
        var cose = Cose(qr);
        cose[^1] ^= 0x01; // last byte of the COSE_Sign1 signature

        var genuine = await NodeVerifyAsync(qr);
        var altered = await NodeVerifyAsync(Text(cose));

        Assert.Equal(18, genuine.GetProperty("tag").GetInt32());
        Assert.Equal(["SM2:True"], Signatures(genuine));
        Assert.Equal(id, genuine.GetProperty("claims").GetProperty("id").GetString());
        Assert.Equal(["SM2:False"], Signatures(altered));
    }

    [Fact]
    public async Task NodeQr_DualSigned_VerifiesHere_AndGarbageSignerMakesItInvalid()
    {
        var keys = Keys();
        var claims = NodeClaims();

        var qr = await NodeSignAsync(claims, keys["SM2"], keys["ES256"]);
        var garbage = await NodeSignAsync(claims, keys["SM2"], keys["ES256"] with { D = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) });
        var report = await Verifier(keys).VerifyQrAsync(qr, Now, CancellationToken.None);
        var forged = await Verifier(keys).VerifyQrAsync(garbage, Now, CancellationToken.None);

        Assert.True(CoseQr.TryDecode(qr, out var message, out _));
        Assert.Equal(["SM2", "ES256"], message.Signers.Select(s => s.Algorithm));
        Assert.Equal(VerificationResults.Valid, report.Result);
        Assert.Equal((string)claims["id"]!, report.Certificate!.Id);
        Assert.Equal("张*三", report.Certificate.HolderName);
        Assert.Equal(Now.AddYears(1), report.Certificate.ValidUntil);
        Assert.Equal(VerificationResults.Invalid, forged.Result);
        Assert.Contains(JwsReasons.SignatureMismatch, forged.Reasons);
    }

    [Theory]
    [InlineData("SM2")]
    [InlineData("ES256")]
    public async Task NodeQr_Sign1_VerifiesHere(string suite)
    {
        var keys = Keys();

        var qr = await NodeSignAsync(NodeClaims(), keys[suite]);
        var report = await Verifier(keys).VerifyQrAsync(qr, Now, CancellationToken.None);

        Assert.Equal(0xD2, Cose(qr)[0]); // tag 18
        Assert.Equal(VerificationResults.Valid, report.Result);
        if (suite == "ES256")
        {
            var message = CoseMessage.DecodeSign1(Cose(qr));
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(keys[suite].Key.SubjectPublicKeyInfo, out _);
            Assert.True(message.VerifyEmbedded(key));
        }
    }

    private sealed record TestKey(string Alg, string Kid, string D, string PublicKey, JwsVerificationKey Key);

    private static Dictionary<string, TestKey> Keys()
    {
        var keys = new Dictionary<string, TestKey>(StringComparer.Ordinal);
        foreach (ISignatureSuite suite in new ISignatureSuite[] { new Sm2Suite(), new Es256Suite() })
        {
            var pair = suite.GenerateKeyPair();
            var kid = KeyId.Compute(pair.SubjectPublicKeyInfo);
            var jwk = suite.ExportJwk(pair.SubjectPublicKeyInfo);
            var point = "04" + Convert.ToHexString(Base64Url.Decode((string)jwk["x"]!)) + Convert.ToHexString(Base64Url.Decode((string)jwk["y"]!));
            keys[suite.Algorithm] = new TestKey(suite.Algorithm, kid, Convert.ToHexString(PrivateScalar(pair.Pkcs8PrivateKey)), point,
                new JwsVerificationKey(suite, kid, pair.SubjectPublicKeyInfo) { OwnerCode = ApiFactory.CivilAffairs });
        }

        return keys;
    }

    // The private scalar of an EC PKCS#8 key: PrivateKeyInfo { version, algorithm, OCTET STRING ECPrivateKey { 1, OCTET STRING d, … } }.
    private static byte[] PrivateScalar(byte[] pkcs8)
    {
        var info = new AsnReader(pkcs8, AsnEncodingRules.DER).ReadSequence();
        info.ReadInteger();
        info.ReadSequence();
        var ecPrivateKey = new AsnReader(info.ReadOctetString(), AsnEncodingRules.DER).ReadSequence();
        ecPrivateKey.ReadInteger();
        return ecPrivateKey.ReadOctetString();
    }

    private static JsonObject NodeClaims() => new()
    {
        ["id"] = $"1.2.156.3005.2.{ApiFactory.MarriageType}.{ApiFactory.CivilAffairs}.K7Q2ZP0XN4M8R1T6W3YB.001.Q",
        ["name"] = "张*三",
        ["exp"] = Now.AddYears(1).ToUnixTimeSeconds(),
        ["nbf"] = Now.AddDays(-1).ToUnixTimeSeconds(),
        ["binding"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)),
        ["salt"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)),
        ["listId"] = "1",
        ["index"] = 98_765,
    };

    private static CertificateVerifier Verifier(Dictionary<string, TestKey> keys) =>
        new(new StaticJwsKeyResolver(keys.Values.Select(k => k.Key)), new StatusListStatusSource([], Now));

    private static async Task<string> NodeSignAsync(JsonObject claims, params TestKey[] signers)
    {
        var input = new JsonObject
        {
            ["claims"] = claims.DeepClone(),
            ["signers"] = new JsonArray([.. signers.Select(s => (JsonNode)new JsonObject { ["alg"] = s.Alg, ["kid"] = s.Kid, ["d"] = s.D, ["publicKey"] = s.PublicKey })]),
        };
        var output = await ExternalTools.NodeJsonAsync("cose-qr-sign.mjs", input.ToJsonString());
        return output.GetProperty("qr").GetString()!;
    }

    private async Task<JsonElement> NodeVerifyAsync(string qr)
    {
        var trustList = JsonDocument.Parse(await _factory.CreateClient().GetStringAsync("/api/v1/trust-list")).RootElement;
        var payload = JsonNode.Parse(Base64Url.Decode(trustList.GetProperty("payload").GetString()!))!;
        var input = new JsonObject { ["qr"] = qr, ["keys"] = payload["keys"]!.DeepClone() };
        return await ExternalTools.NodeJsonAsync("cose-qr-verify.mjs", input.ToJsonString());
    }

    private static string[] Signatures(JsonElement decoded) =>
        [.. decoded.GetProperty("signatures").EnumerateArray().Select(s => $"{s.GetProperty("alg").GetString()}:{s.GetProperty("ok").GetBoolean()}")];

    private async Task<string> IssueAsync(object request)
    {
        using var issued = await _civil.PostAsJsonAsync("/api/v1/certificates", request);
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        return (await ApiFactory.JsonAsync(issued)).GetProperty("id").GetString()!;
    }

    private async Task<string> OfflineQrAsync(string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{id}/qr?form=offline");
        request.Headers.Accept.ParseAdd("text/plain");
        using var response = await _civil.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static byte[] Cose(string qr) => CertLibrary.Testing.CoseQrCorpus.Cose(qr);

    private static string Text(byte[] cose) => CertLibrary.Testing.CoseQrCorpus.Text(cose);
}
