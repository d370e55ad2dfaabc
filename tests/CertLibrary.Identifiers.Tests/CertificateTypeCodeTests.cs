using System.Text.Json;

namespace CertLibrary.Identifiers.Tests;

public sealed class CertificateTypeCodeTests
{
    [Fact]
    public void TryParse_SpecExample_ExposesDefinerAndSuffix()
    {
        // Act
        var ok = CertificateTypeCode.TryParse("11100000000013338W032", out var type, out var error);

        // Assert
        Assert.True(ok, error);
        Assert.Equal(CreditCode.Parse("11100000000013338W"), type.Definer);
        Assert.Equal("032", type.Suffix);
        Assert.Equal("11100000000013338W032", type.ToString());
    }

    [Fact]
    public void TryParse_LowerCase_NormalisesToUpperCase()
    {
        // Act
        var type = CertificateTypeCode.Parse("11100000000013338w032");

        // Assert
        Assert.Equal("11100000000013338W032", type.ToString());
    }

    [Theory]
    [InlineData(null, "certificate type code is empty")]
    [InlineData("", "certificate type code is empty")]
    [InlineData("11100000000013338W03", "must have 21 characters (credit code and 3 digits) but has 20")]
    [InlineData("11100000000013338W0321", "must have 21 characters (credit code and 3 digits) but has 22")]
    [InlineData("11100000000013338X032", "defining credit code check character is 'X' but should be 'W'")]
    [InlineData("11100000000013338W03A", "suffix '03A' must be 3 digits")]
    public void TryParse_InvalidCode_FailsNamingTheRule(string? text, string expectedError)
    {
        // Act
        var ok = CertificateTypeCode.TryParse(text, out _, out var error);

        // Assert
        Assert.False(ok);
        Assert.NotNull(error);
        Assert.Contains(expectedError, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_DefinerAndSuffix_Concatenates()
    {
        // Act
        var type = CertificateTypeCode.Create(CreditCode.Parse("11100000000013338W"), "011");

        // Assert
        Assert.Equal(CertificateTypeCode.Parse("11100000000013338W011"), type);
    }

    [Fact]
    public void Json_RoundTrip_UsesStringForm()
    {
        // Arrange
        var type = CertificateTypeCode.Parse("11100000000013338W032");

        // Act
        var json = JsonSerializer.Serialize(type);

        // Assert
        Assert.Equal("\"11100000000013338W032\"", json);
        Assert.Equal(type, JsonSerializer.Deserialize<CertificateTypeCode>(json));
    }
}
