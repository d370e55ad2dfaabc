using System.Text;
using System.Text.Json.Nodes;
using CertLibrary.Signing.Tests.TestSupport;

namespace CertLibrary.Signing.Tests;

/// <summary>SM2 signatures against the openssl CLI and npm <c>sm-crypto</c>, in both directions.</summary>
public sealed class InteropSm2Tests
{
    private static readonly byte[] Message = Encoding.UTF8.GetBytes("电子证照 SM2 interop message\n\u0000\u00ff");
    private static readonly ISignatureSuite Suite = TestFixtures.Suite("SM2");

    private static bool OpensslVerifies(byte[] spki, byte[] message, byte[] rawSignature)
    {
        using var temp = new TempDirectory();
        var directory = temp.Path;
        File.WriteAllText(Path.Combine(directory, "pub.pem"), Tools.ToPem("PUBLIC KEY", spki));
        File.WriteAllBytes(Path.Combine(directory, "data"), message);
        File.WriteAllBytes(Path.Combine(directory, "sig.der"), Tools.RawToDer(rawSignature));
        var (exit, stdout, stderr) = Tools.Run("openssl", [
            "pkeyutl", "-verify", "-pubin", "-inkey", Path.Combine(directory, "pub.pem"), "-rawin",
            "-in", Path.Combine(directory, "data"), "-sigfile", Path.Combine(directory, "sig.der"),
            "-digest", "sm3", "-pkeyopt", "distid:1234567812345678",
        ]);
        var verified = exit == 0 && stdout.Contains("Signature Verified Successfully", StringComparison.Ordinal);
        Assert.True(verified || stdout.Contains("Verification Failure", StringComparison.Ordinal) || stderr.Length > 0, stdout + stderr);
        return verified;
    }

    private static bool SmCryptoVerifies(byte[] spki, byte[] message, byte[] rawSignature)
    {
        var jwk = Suite.ExportJwk(spki);
        var publicKey = "04" + Convert.ToHexStringLower(Base64Url.Decode((string)jwk["x"]!)) + Convert.ToHexStringLower(Base64Url.Decode((string)jwk["y"]!));
        var input = new JsonObject
        {
            ["message"] = Convert.ToHexStringLower(message),
            ["signature"] = Convert.ToHexStringLower(rawSignature),
            ["publicKey"] = publicKey,
        };
        return (bool)JsonNode.Parse(Tools.Node("sm2-verify.mjs", input.ToJsonString()))!["ok"]!;
    }

    [Fact]
    public void Sign_Sm2_VerifiesWithOpenssl()
    {
        var pair = Suite.GenerateKeyPair();
        var signature = Suite.CreateSigner(pair.Pkcs8PrivateKey).Sign(Message);

        Assert.True(OpensslVerifies(pair.SubjectPublicKeyInfo, Message, signature));
        var tampered = (byte[])Message.Clone();
        tampered[0] ^= 1;
        Assert.False(OpensslVerifies(pair.SubjectPublicKeyInfo, tampered, signature));
    }

    [Fact]
    public void Sign_Sm2_VerifiesWithSmCrypto()
    {
        var pair = Suite.GenerateKeyPair();
        var signature = Suite.CreateSigner(pair.Pkcs8PrivateKey).Sign(Message);

        Assert.True(SmCryptoVerifies(pair.SubjectPublicKeyInfo, Message, signature));
        var tampered = (byte[])signature.Clone();
        tampered[40] ^= 1;
        Assert.False(SmCryptoVerifies(pair.SubjectPublicKeyInfo, Message, tampered));
    }

    [Fact]
    public void Verify_OpensslSm2Signature_ReturnsTrue()
    {
        using var temp = new TempDirectory();
        var directory = temp.Path;
        var key = Path.Combine(directory, "key.pem");
        var data = Path.Combine(directory, "data");
        File.WriteAllBytes(data, Message);
        Tools.OpenSsl("genpkey", "-algorithm", "SM2", "-out", key);
        Tools.OpenSsl("pkey", "-in", key, "-pubout", "-outform", "DER", "-out", Path.Combine(directory, "pub.der"));
        Tools.OpenSsl("pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", data, "-digest", "sm3",
            "-pkeyopt", "distid:1234567812345678", "-out", Path.Combine(directory, "sig.der"));
        var spki = File.ReadAllBytes(Path.Combine(directory, "pub.der"));
        var signature = Tools.DerToRaw(File.ReadAllBytes(Path.Combine(directory, "sig.der")));

        Assert.True(Suite.Verify(spki, Message, signature));
        Assert.False(Suite.Verify(spki, Message.AsSpan(1), signature));
    }

    [Fact]
    public void CreateSigner_OpensslPkcs8Key_SignsWhatOpensslVerifies()
    {
        using var temp = new TempDirectory();
        var directory = temp.Path;
        var key = Path.Combine(directory, "key.pem");
        Tools.OpenSsl("genpkey", "-algorithm", "SM2", "-out", key);
        Tools.OpenSsl("pkcs8", "-topk8", "-nocrypt", "-in", key, "-outform", "DER", "-out", Path.Combine(directory, "key.der"));
        Tools.OpenSsl("pkey", "-in", key, "-pubout", "-outform", "DER", "-out", Path.Combine(directory, "pub.der"));

        var signature = Suite.CreateSigner(File.ReadAllBytes(Path.Combine(directory, "key.der"))).Sign(Message);

        Assert.True(OpensslVerifies(File.ReadAllBytes(Path.Combine(directory, "pub.der")), Message, signature));
    }

    [Fact]
    public void Verify_SmCryptoSignature_ReturnsTrue()
    {
        var output = JsonNode.Parse(Tools.Node("sm2-sign.mjs", new JsonObject { ["message"] = Convert.ToHexStringLower(Message) }.ToJsonString()))!;
        var publicKey = Convert.FromHexString((string)output["publicKey"]!);
        var signature = Convert.FromHexString((string)output["signature"]!);
        Assert.Equal(65, publicKey.Length);
        var spki = Suite.ImportJwk(new JsonObject
        {
            ["kty"] = "EC",
            ["crv"] = "SM2",
            ["x"] = Base64Url.Encode(publicKey.AsSpan(1, 32)),
            ["y"] = Base64Url.Encode(publicKey.AsSpan(33, 32)),
        });

        Assert.True(Suite.Verify(spki, Message, signature));
        signature[^1] ^= 1;
        Assert.False(Suite.Verify(spki, Message, signature));
    }
}
