using System.Security.Cryptography;
using CertLibrary.Signing.Tests.TestSupport;

namespace CertLibrary.Signing.Tests;

public sealed class KeyIdTests
{
    public static TheoryData<string> Algorithms => TestFixtures.Algorithms;

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Compute_AnyKey_MatchesOpensslDigestOfSubjectPublicKeyInfo(string algorithm)
    {
        var spki = TestFixtures.Suite(algorithm).GenerateKeyPair().SubjectPublicKeyInfo;
        using var temp = new TempDirectory();
        var directory = temp.Path;
        var input = Path.Combine(directory, "in.der");
        var output = Path.Combine(directory, "out.der");
        File.WriteAllBytes(input, spki);

        Tools.OpenSsl("pkey", "-pubin", "-inform", "DER", "-in", input, "-outform", "DER", "-out", output);
        var digest = Tools.OpenSsl("dgst", "-sha256", "-r", output).Split(' ')[0];
        var expected = Base64Url.Encode(Convert.FromHexString(digest)[..8]);

        Assert.Equal(expected, KeyId.Compute(spki));
        Assert.Equal(11, KeyId.Compute(spki).Length);
    }

    [Fact]
    public void Compute_KnownInput_IsFirstEightBytesOfSha256()
    {
        var expected = Base64Url.Encode(SHA256.HashData("abc"u8)[..8]);

        Assert.Equal(expected, KeyId.Compute("abc"u8));
        Assert.Equal("ungWv48Bz-o", KeyId.Compute("abc"u8));
    }
}
