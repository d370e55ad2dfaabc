using CertLibrary.Signing.Sm2;

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
        var suite = new Sm2Suite();
        var keys = Enumerable.Range(0, 12).Select(_ => suite.GenerateKeyPair()).ToArray();
        var signers = keys.Select(k => suite.CreateSigner(k.Pkcs8PrivateKey)).ToArray();

        var failures = await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            var problems = new List<string>();
            for (var i = 0; i < 60; i++)
            {
                var k = (i * 5 + worker) % keys.Length;
                var data = System.Text.Encoding.UTF8.GetBytes($"worker {worker} message {i}" + new string('x', i * 7));
                var signature = signers[k].Sign(data);
                var tampered = (byte[])signature.Clone();
                tampered[i % 64] ^= 0x01;
                var other = keys[(k + 1) % keys.Length].SubjectPublicKeyInfo;
                if (signature.Length != 64 || !Sm2Suite.VerifyManaged(keys[k].SubjectPublicKeyInfo, data, signature))
                {
                    problems.Add($"key {k}, message {i}: BouncyCastle rejects the native signature");
                }

                if (!suite.Verify(keys[k].SubjectPublicKeyInfo, data, signature) || suite.Verify(keys[k].SubjectPublicKeyInfo, data, tampered)
                    || suite.Verify(other, data, signature) || suite.Verify(keys[k].SubjectPublicKeyInfo, [.. data, 0], signature))
                {
                    problems.Add($"key {k}, message {i}: native verification disagrees");
                }
            }

            return problems;
        })));

        Assert.Empty(failures.SelectMany(f => f));
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
