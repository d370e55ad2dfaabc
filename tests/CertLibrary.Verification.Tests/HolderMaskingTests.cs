namespace CertLibrary.Verification.Tests;

public sealed class HolderMaskingTests
{
    [Theory]
    [InlineData("张小三", "张*三")]
    [InlineData("张三", "张*")]
    [InlineData("欧阳小明", "欧*明")]
    [InlineData("张", "张")]
    [InlineData(" 李四 ", "李*")]
    public void MaskName_KeepsFirstAndLastOnly(string name, string expected) => Assert.Equal(expected, HolderMasking.MaskName(name));

    [Fact]
    public void Bind_MatchesSameNumberOnly_CaseInsensitiveX()
    {
        var salt = new byte[16];
        salt[0] = 7;
        var binding = HolderMasking.Bind(salt, "11010519491231002X");
        var saltText = Signing.Base64Url.Encode(salt);

        Assert.Equal(22, binding.Length);
        Assert.True(HolderMasking.Matches(binding, saltText, "11010519491231002x"));
        Assert.False(HolderMasking.Matches(binding, saltText, "110105194912310010"));
        Assert.False(HolderMasking.Matches(binding, "!!", "11010519491231002X"));
    }
}
