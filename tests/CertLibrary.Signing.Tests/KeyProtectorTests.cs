using System.Security.Cryptography;

namespace CertLibrary.Signing.Tests;

public sealed class KeyProtectorTests
{
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(138);

    [Fact]
    public void Unprotect_ProtectedData_ReturnsPlaintext()
    {
        using var protector = new AesGcmKeyProtector(RandomNumberGenerator.GetBytes(32));

        var sealedKey = protector.Protect(Secret, "kid-1");

        Assert.Equal(1 + 12 + Secret.Length + 16, sealedKey.Length);
        Assert.Equal(1, sealedKey[0]);
        Assert.Equal(Secret, protector.Unprotect(sealedKey, "kid-1"));
    }

    [Fact]
    public void Protect_SamePlaintextTwice_UsesFreshNonce()
    {
        using var protector = new AesGcmKeyProtector(RandomNumberGenerator.GetBytes(32));

        Assert.NotEqual(protector.Protect(Secret, "kid-1"), protector.Protect(Secret, "kid-1"));
    }

    [Fact]
    public void Unprotect_AnyByteFlipped_Throws()
    {
        using var protector = new AesGcmKeyProtector(RandomNumberGenerator.GetBytes(32));
        var sealedKey = protector.Protect(Secret, "kid-1");

        for (var i = 0; i < sealedKey.Length; i++)
        {
            var tampered = (byte[])sealedKey.Clone();
            tampered[i] ^= 0x01;
            Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(tampered, "kid-1"));
        }
    }

    [Fact]
    public void Unprotect_CiphertextOfAnotherKid_Throws()
    {
        using var protector = new AesGcmKeyProtector(RandomNumberGenerator.GetBytes(32));
        var first = protector.Protect(Secret, "kid-1");
        var second = protector.Protect(RandomNumberGenerator.GetBytes(138), "kid-2");

        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(first, "kid-2"));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(second, "kid-1"));
    }

    [Fact]
    public void Unprotect_OtherMasterKey_Throws()
    {
        using var protector = new AesGcmKeyProtector(RandomNumberGenerator.GetBytes(32));
        using var other = new AesGcmKeyProtector(RandomNumberGenerator.GetBytes(32));

        Assert.ThrowsAny<CryptographicException>(() => other.Unprotect(protector.Protect(Secret, "kid-1"), "kid-1"));
    }

    [Fact]
    public void Unprotect_TruncatedOrEmpty_Throws()
    {
        using var protector = new AesGcmKeyProtector(RandomNumberGenerator.GetBytes(32));
        var sealedKey = protector.Protect(Secret, "kid-1");

        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect([], "kid-1"));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(sealedKey[..20], "kid-1"));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(sealedKey[..^1], "kid-1"));
    }
}
