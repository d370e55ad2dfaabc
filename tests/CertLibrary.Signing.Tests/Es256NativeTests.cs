using System.Security.Cryptography;
using CertLibrary.Signing.Sm2;
using CertLibrary.Signing.Tests.TestSupport;

namespace CertLibrary.Signing.Tests;

/// <summary>
/// ES256 verification goes through libcrypto with prepared contexts per thread and key: it must agree with the BCL's
/// ECDsa on every signature, from many threads over more keys than a thread keeps contexts for, and refuse keys that
/// are not P-256 exactly as the BCL path does.
/// </summary>
public sealed class Es256NativeTests
{
    private readonly Es256Suite _suite = new();

    [Fact]
    public void LibCrypto_IsUsedOnThisMachine()
    {
        Assert.True(Es256Suite.Native.IsAvailable, "libcrypto.so.3 is installed here; the native ES256 path must pass its self-test");
    }

    [Fact]
    public async Task Verify_ManyKeysManyThreads_AgreesWithTheBcl()
    {
        var problems = await NativeAgreement.ProblemsAsync(_suite, (key, data, signature) => Es256Suite.VerifyManaged(key, data, signature));

        Assert.Empty(problems);
    }

    [Fact]
    public void Verify_EmptyMessageAndSignaturesWithShortComponents_Verify()
    {
        var keys = _suite.GenerateKeyPair();
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(keys.Pkcs8PrivateKey, out _);
        var shortComponents = 0;
        for (var i = 0; i < 400; i++)
        {
            var data = i % 2 == 0 ? Array.Empty<byte>() : BitConverter.GetBytes(i);
            var signature = key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            shortComponents += signature[0] == 0 || signature[32] == 0 ? 1 : 0;
            Assert.True(_suite.Verify(keys.SubjectPublicKeyInfo, data, signature), $"BCL signature {i} ({Convert.ToHexString(signature)}) rejected");
        }

        Assert.True(shortComponents > 0, "400 signatures should include one whose r or s starts with a zero byte");
    }

    [Fact]
    public void Verify_KeyOfAnotherCurve_IsRefusedAsByTheBcl()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var data = "same bytes"u8.ToArray();
        var signature = new byte[64];
        p384.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation).AsSpan(0, 64).CopyTo(signature);
        var sm2 = new Sm2Suite().GenerateKeyPair();
        var sm2Signature = new Sm2Suite().CreateSigner(sm2.Pkcs8PrivateKey).Sign(data);

        Assert.False(_suite.Verify(p384.ExportSubjectPublicKeyInfo(), data, signature));
        Assert.False(_suite.Verify(sm2.SubjectPublicKeyInfo, data, sm2Signature));
        Assert.False(_suite.Verify([0x30, 0x03, 0x02, 0x01, 0x00], data, signature));
    }

    [Fact]
    public void Verify_ComponentsOutOfRange_AreRejected()
    {
        var keys = _suite.GenerateKeyPair();
        var data = "range"u8.ToArray();
        var zero = new byte[64];
        var ones = Enumerable.Repeat((byte)0xFF, 64).ToArray(); // r and s above the group order n
        var signature = _suite.CreateSigner(keys.Pkcs8PrivateKey).Sign(data);
        var zeroS = signature[..32].Concat(new byte[32]).ToArray();

        Assert.True(_suite.Verify(keys.SubjectPublicKeyInfo, data, signature));
        Assert.False(_suite.Verify(keys.SubjectPublicKeyInfo, data, zero));
        Assert.False(_suite.Verify(keys.SubjectPublicKeyInfo, data, ones));
        Assert.False(_suite.Verify(keys.SubjectPublicKeyInfo, data, zeroS));
        Assert.False(_suite.Verify(keys.SubjectPublicKeyInfo, data, signature[..63]));
    }
}
