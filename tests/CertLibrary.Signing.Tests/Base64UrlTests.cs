namespace CertLibrary.Signing.Tests;

public sealed class Base64UrlTests
{
    [Theory]
    [InlineData("", new byte[0])]
    [InlineData("AA", new byte[] { 0 })]
    [InlineData("-_8", new byte[] { 0xFB, 0xFF })]
    [InlineData("YWJj", new byte[] { 0x61, 0x62, 0x63 })]
    public void TryDecode_CanonicalInput_ReturnsBytes(string text, byte[] expected)
    {
        Assert.True(Base64Url.TryDecode(text, out var bytes));
        Assert.Equal(expected, bytes);
        Assert.Equal(text, Base64Url.Encode(expected));
    }

    [Theory]
    [InlineData("AA==")]
    [InlineData("A")]
    [InlineData("AB")]
    [InlineData("+/8")]
    [InlineData("YW Jj")]
    [InlineData("YWJj\n")]
    [InlineData("ÿWJj")]
    public void TryDecode_MalformedInput_ReturnsFalse(string text)
    {
        Assert.False(Base64Url.TryDecode(text, out _));
        Assert.Throws<FormatException>(() => Base64Url.Decode(text));
    }
}
