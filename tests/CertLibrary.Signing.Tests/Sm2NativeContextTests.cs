using CertLibrary.Signing.Sm2;
using CertLibrary.Signing.Tests.TestSupport;

namespace CertLibrary.Signing.Tests;

/// <summary>
/// The libcrypto path keeps prepared digest contexts per thread and key: signatures made and checked from many threads
/// over more keys than a thread keeps stay correct for an independent implementation (BouncyCastle).
/// </summary>
public sealed class Sm2NativeContextTests
{
    [Fact]
    public void LibCrypto_IsUsedOnThisMachine()
    {
        Assert.True(LibCryptoSm2.IsAvailable, "libcrypto.so.3 with SM2 is installed here; the native path must pass its self-test");
    }

    [Fact]
    public async Task SignAndVerify_ManyKeysManyThreads_AgreeWithBouncyCastle()
    {
        var problems = await NativeAgreement.ProblemsAsync(new Sm2Suite(), (key, data, signature) => Sm2Suite.VerifyManaged(key, data, signature));

        Assert.Empty(problems);
    }

    [Fact]
    public void Verify_EmptyMessageAndSignatureWithShortComponents_Verifies()
    {
        var suite = new Sm2Suite();
        var keys = suite.GenerateKeyPair();
        var signer = Sm2Suite.CreateManagedSigner(keys.Pkcs8PrivateKey);
        for (var i = 0; i < 200; i++)
        {
            var data = i % 2 == 0 ? Array.Empty<byte>() : BitConverter.GetBytes(i);
            var signature = signer.Sign(data);
            Assert.True(suite.Verify(keys.SubjectPublicKeyInfo, data, signature), $"BouncyCastle signature {i} ({Convert.ToHexString(signature)}) rejected");
        }
    }
}
