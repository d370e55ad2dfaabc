using System.Text.Json;

namespace CertLibrary.Identifiers.Tests;

public sealed class CreditCodeTests
{
    private const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    [Theory]
    [InlineData("91350100M000100Y43")]
    [InlineData("11100000000013338W")]
    [InlineData("11110000000021135M")]
    public void TryParse_PublishedCode_Succeeds(string text)
    {
        // Act
        var ok = CreditCode.TryParse(text, out var code, out var error);

        // Assert
        Assert.True(ok, error);
        Assert.Equal(text, code.ToString());
        Assert.Equal(text[^1], code.Check);
        Assert.Equal(ReferenceCheck(text[..17]), text[^1]);
    }

    [Fact]
    public void TryParse_LowerCase_NormalisesToUpperCase()
    {
        // Act
        var ok = CreditCode.TryParse("91350100m000100y43", out var code, out var error);

        // Assert
        Assert.True(ok, error);
        Assert.Equal("91350100M000100Y43", code.ToString());
        Assert.Equal(CreditCode.Parse("91350100M000100Y43"), code);
    }

    [Theory]
    [InlineData(null, "credit code is empty")]
    [InlineData("", "credit code is empty")]
    [InlineData("  ", "credit code is empty")]
    [InlineData("91350100M000100Y4", "credit code must have 18 characters but has 17")]
    [InlineData("91350100M000100Y433", "credit code must have 18 characters but has 19")]
    [InlineData("91350100M000100Y44", "credit code check character is '4' but should be '3'")]
    [InlineData("11100000000013338X", "credit code check character is 'X' but should be 'W'")]
    [InlineData("91350100I000100Y43", "character 'I' at position 9 is not allowed (I, O, S, V and Z are never used)")]
    [InlineData("91350100O000100Y43", "character 'O' at position 9 is not allowed")]
    [InlineData("91350100S000100Y43", "character 'S' at position 9 is not allowed")]
    [InlineData("91350100V000100Y43", "character 'V' at position 9 is not allowed")]
    [InlineData("91350100M000100Z43", "character 'Z' at position 16 is not allowed")]
    [InlineData("91350100z000100Y43", "character 'z' at position 9 is not allowed")]
    [InlineData("91350100-000100Y43", "character '-' at position 9 is not one of 0-9 and A-Y")]
    public void TryParse_InvalidCode_FailsNamingTheRule(string? text, string expectedError)
    {
        // Act
        var ok = CreditCode.TryParse(text, out var code, out var error);

        // Assert
        Assert.False(ok);
        Assert.Equal(default, code);
        Assert.NotNull(error);
        Assert.Contains(expectedError, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ComputeCheck_SumDivisibleBy31_ReturnsZero()
    {
        // Arrange: search for a body whose weighted sum is a multiple of 31, so 31 - 0 = 31 must wrap to '0'.
        var body = FindBody(sum => sum % 31 == 0);

        // Act
        var check = CreditCode.ComputeCheck(body);

        // Assert
        Assert.Equal('0', check);
        Assert.True(CreditCode.TryParse(body + "0", out _, out var error), error);
        Assert.False(CreditCode.TryParse(body + "1", out _, out _));
    }

    [Fact]
    public void ComputeCheck_SumRemainder1_ReturnsLastAlphabetCharacter()
    {
        // Arrange: remainder 1 gives value 30, the last character 'Y'.
        var body = FindBody(sum => sum % 31 == 1);

        // Act
        var check = CreditCode.ComputeCheck(body);

        // Assert
        Assert.Equal('Y', check);
    }

    [Fact]
    public void ComputeCheck_RandomBodies_MatchesIndependentWeightedSum()
    {
        // Arrange
        var random = new Random(32100);

        for (var n = 0; n < 2000; n++)
        {
            var body = string.Concat(Enumerable.Range(0, 17).Select(_ => Alphabet[random.Next(Alphabet.Length)]));

            // Act
            var check = CreditCode.ComputeCheck(body);

            // Assert
            Assert.Equal(ReferenceCheck(body), check);
        }
    }

    [Fact]
    public void Create_First17_AppendsCheck()
    {
        // Act
        var code = CreditCode.Create("91350100m000100y4");

        // Assert
        Assert.Equal("91350100M000100Y43", code.ToString());
    }

    [Fact]
    public void Create_ForbiddenLetter_Throws()
    {
        // Act
        var ex = Record.Exception(() => CreditCode.Create("91350100O000100Y4"));

        // Assert
        Assert.IsType<ArgumentException>(ex);
    }

    [Fact]
    public void Json_RoundTrip_UsesStringForm()
    {
        // Arrange
        var code = CreditCode.Parse("11110000000021135M");

        // Act
        var json = JsonSerializer.Serialize(code);
        var back = JsonSerializer.Deserialize<CreditCode>(json);

        // Assert
        Assert.Equal("\"11110000000021135M\"", json);
        Assert.Equal(code, back);
    }

    [Fact]
    public void Json_InvalidCode_ThrowsJsonExceptionWithTheRule()
    {
        // Act
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<CreditCode>("\"11110000000021135N\""));

        // Assert
        Assert.Contains("check character is 'N' but should be 'M'", ex.Message, StringComparison.Ordinal);
    }

    private static string FindBody(Func<int, bool> wanted)
    {
        var random = new Random(31);
        while (true)
        {
            var body = string.Concat(Enumerable.Range(0, 17).Select(_ => Alphabet[random.Next(Alphabet.Length)]));
            if (wanted(WeightedSum(body)))
            {
                return body;
            }
        }
    }

    private static int WeightedSum(string first17)
    {
        int[] weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += Alphabet.IndexOf(first17[i], StringComparison.Ordinal) * weights[i];
        }

        return sum;
    }

    private static char ReferenceCheck(string first17)
    {
        var c = 31 - (WeightedSum(first17) % 31);
        return Alphabet[c == 31 ? 0 : c];
    }
}
