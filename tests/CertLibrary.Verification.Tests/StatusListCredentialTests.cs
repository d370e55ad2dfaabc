using System.IO.Compression;
using CertLibrary.Signing;

namespace CertLibrary.Verification.Tests;

public sealed class StatusListCredentialTests
{
    [Fact]
    public void SetBit_W3cOrder_MostSignificantBitFirst()
    {
        var bits = new byte[StatusListCredential.MinimumLength / 8];

        StatusListCredential.SetBit(bits, 0);
        StatusListCredential.SetBit(bits, 9);
        StatusListCredential.SetBit(bits, 131_071);

        Assert.Equal(0x80, bits[0]);
        Assert.Equal(0x40, bits[1]);
        Assert.Equal(0x01, bits[^1]);
        Assert.True(StatusListCredential.GetBit(bits, 9));
        Assert.False(StatusListCredential.GetBit(bits, 10));
        Assert.False(StatusListCredential.GetBit(bits, 131_072));
    }

    [Fact]
    public void EncodeDecode_RoundTripsWithMultibasePrefix()
    {
        var bits = new byte[StatusListCredential.MinimumLength / 8];
        StatusListCredential.SetBit(bits, 4242);

        var encoded = StatusListCredential.Encode(bits);

        Assert.StartsWith("u", encoded, StringComparison.Ordinal);
        Assert.Equal(bits, StatusListCredential.Decode(encoded));
        Assert.Equal(bits, StatusListCredential.Decode(encoded[1..]));
    }

    [Fact]
    public void Decode_TooShortBombOrGarbage_Null()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(new byte[64 * 1024 * 1024]);
        }

        Assert.Null(StatusListCredential.Decode(StatusListCredential.Encode(new byte[100])));
        Assert.Null(StatusListCredential.Decode("u" + Base64Url.Encode(buffer.ToArray())));
        Assert.Null(StatusListCredential.Decode("u!!!"));
        Assert.Null(StatusListCredential.Decode("uAAAA"));
    }
}
