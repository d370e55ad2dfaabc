using System.Text.Json;

namespace CertLibrary.Identifiers.Tests;

public sealed class CitizenIdTests
{
    private static readonly DateOnly Today = new(2025, 6, 15);

    // Check characters computed by hand (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 into "10X98765432");
    // ReferenceCheck below recomputes them independently of the library.
    public static TheoryData<string> ValidNumbers => new()
    {
        "11010519491231002X", // the standard's own example
        "310101190001010011", // earliest accepted birth date
        "440305200002291232", // 29 February of a leap year divisible by 400
        "510104202402294571",
        "820000198005158886",
        "650102197510080102",
        "230103196207043337",
        "120101199912319998",
        "320102200109110000", // sequence 000, check 0
        "420106198808082466",
        "530102199511201350",
        "610113201010010782",
        "710000196703215652",
        "810000199710111111",
        "370202198506304217",
        "140105199302033027",
        "210102200501017171",
        "350102197804198084",
        "460105201602290513",
        "520102195709186299",
        "640104202001014443",
        "15010219830707909X",
        "33010619901225187X",
        "450103202506152006", // born "today"
    };

    public static TheoryData<string?, string> InvalidNumbers => new()
    {
        { null, "citizen identity number is empty" },
        { "", "citizen identity number is empty" },
        { "   ", "citizen identity number is empty" },
        { "11010519491231002", "must have 18 characters but has 17" },
        { "11010519491231002X1", "must have 18 characters but has 19" },
        { " 11010519491231002X", "must have 18 characters but has 19" },
        { "11010519491231003X", "check character is 'X' but should be '8'" },
        { "110105194912310021", "check character is '1' but should be 'X'" },
        { "110105199913010021", "birth date 19991301 is not a real date" },
        { "110105194900010021", "birth date 19490001 is not a real date" },
        { "110105199901320022", "birth date 19990132 is not a real date" },
        { "110105199904310022", "birth date 19990431 is not a real date" },
        { "110105194912000021", "birth date 19491200 is not a real date" },
        { "110105199902290021", "birth date 19990229 is not a real date" },
        { "110105189912310023", "birth date 18991231 is before 19000101" },
        { "110105202506160027", "birth date 20250616 is in the future" },
        { "1101051949123100A2", "character 'A' at position 17 must be a digit" },
        { "11O105194912310026", "character 'O' at position 3 must be a digit" },
        { "1101051949123100X2", "character 'X' at position 17 must be a digit; only the last character may be X" },
        { "X10105194912310026", "character 'X' at position 1 must be a digit; only the last character may be X" },
        { "11010519491231002Y", "check character 'Y' must be a digit or X" },
        { "010105194912310026", "area code must start with 1-8 but starts with '0'" },
        { "910105194912310029", "area code must start with 1-8 but starts with '9'" },
        { "１10105194912310026", "character '１' at position 1 must be a digit" }, // full-width digit
    };

    [Theory]
    [MemberData(nameof(ValidNumbers))]
    public void TryParse_ValidNumber_SucceedsAndRoundTrips(string text)
    {
        // Act
        var ok = CitizenId.TryParse(text, Today, out var id, out var error);

        // Assert
        Assert.True(ok, error);
        Assert.Null(error);
        Assert.Equal(text, id.ToString());
    }

    [Theory]
    [MemberData(nameof(ValidNumbers))]
    public void ComputeCheck_ValidNumber_MatchesIndependentWeightedSum(string text)
    {
        // Act
        var check = CitizenId.ComputeCheck(text.AsSpan(0, 17));

        // Assert
        Assert.Equal(ReferenceCheck(text[..17]), check);
        Assert.Equal(text[17], check);
    }

    [Theory]
    [MemberData(nameof(InvalidNumbers))]
    public void TryParse_InvalidNumber_FailsNamingTheRule(string? text, string expectedError)
    {
        // Act
        var ok = CitizenId.TryParse(text, Today, out var id, out var error);

        // Assert
        Assert.False(ok);
        Assert.Equal(default, id);
        Assert.NotNull(error);
        Assert.Contains(expectedError, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_LowerCaseX_NormalisesToUpperCase()
    {
        // Act
        var ok = CitizenId.TryParse("11010519491231002x", Today, out var id, out var error);

        // Assert
        Assert.True(ok, error);
        Assert.Equal("11010519491231002X", id.ToString());
        Assert.Equal(CitizenId.Parse("11010519491231002X", Today), id);
        Assert.Equal('X', id.Check);
    }

    [Fact]
    public void TryParse_StandardExample_ExposesItsParts()
    {
        // Act
        var id = CitizenId.Parse("11010519491231002X", Today);

        // Assert
        Assert.Equal("110105", id.AreaCode);
        Assert.Equal(new DateOnly(1949, 12, 31), id.BirthDate);
        Assert.Equal(2, id.Sequence);
        Assert.False(id.IsMale);
    }

    [Theory]
    [InlineData("310101190001010011", true)]
    [InlineData("530102199511201350", true)]
    [InlineData("320102200109110000", false)]
    [InlineData("420106198808082466", false)]
    public void IsMale_OddSequence_IsTrue(string text, bool expected)
    {
        // Arrange
        var id = CitizenId.Parse(text, Today);

        // Act
        var isMale = id.IsMale;

        // Assert
        Assert.Equal(expected, isMale);
    }

    [Fact]
    public void Masked_StandardExample_ShowsOnlyAreaAndLastFour()
    {
        // Arrange
        var id = CitizenId.Parse("11010519491231002X", Today);

        // Act
        var masked = id.Masked;

        // Assert
        Assert.Equal("110105********002X", masked);
        Assert.DoesNotContain("19491231", masked, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_BirthDateTomorrowInBeijing_IsFutureButTodayInBeijingIsNot()
    {
        // Arrange: 2025-06-14T20:00Z is already 2025-06-15 04:00 in Beijing.
        var clock = new FixedTimeProvider(new DateTimeOffset(2025, 6, 14, 20, 0, 0, TimeSpan.Zero));

        // Act
        var bornTodayOk = CitizenId.TryParse("450103202506152006", clock, out _, out var bornTodayError);
        var bornTomorrowOk = CitizenId.TryParse("110105202506160027", clock, out _, out var bornTomorrowError);

        // Assert
        Assert.True(bornTodayOk, bornTodayError);
        Assert.False(bornTomorrowOk);
        Assert.Equal("birth date 20250616 is in the future", bornTomorrowError);
    }

    [Fact]
    public void Parse_InvalidNumber_ThrowsFormatExceptionWithTheRule()
    {
        // Act
        var ex = Assert.Throws<FormatException>(() => CitizenId.Parse("110105199902290021", Today));

        // Assert
        Assert.Equal("birth date 19990229 is not a real date", ex.Message);
    }

    [Fact]
    public void Create_AreaBirthAndSequence_ComputesCheckAndParses()
    {
        // Act
        var id = CitizenId.Create("110105", new DateOnly(1949, 12, 31), 2);

        // Assert
        Assert.Equal("11010519491231002X", id.ToString());
        Assert.Equal(id, CitizenId.Parse(id.ToString(), Today));
    }

    [Theory]
    [InlineData("010105", 1990, 1)]
    [InlineData("11010", 1990, 1)]
    [InlineData("110105", 1899, 1)]
    [InlineData("110105", 1990, 1000)]
    [InlineData("110105", 1990, -1)]
    public void Create_InvalidPart_Throws(string area, int year, int sequence)
    {
        // Act
        var ex = Record.Exception(() => CitizenId.Create(area, new DateOnly(year, 1, 1), sequence));

        // Assert
        Assert.IsAssignableFrom<ArgumentException>(ex);
    }

    [Fact]
    public void ComputeCheck_RandomBodies_MatchesIndependentWeightedSum()
    {
        // Arrange
        var random = new Random(11643);

        for (var n = 0; n < 2000; n++)
        {
            var body = string.Concat(Enumerable.Range(0, 17).Select(_ => (char)('0' + random.Next(10))));

            // Act
            var check = CitizenId.ComputeCheck(body);

            // Assert
            Assert.Equal(ReferenceCheck(body), check);
        }
    }

    [Fact]
    public void Equals_SameNumberDifferentCase_AreEqual()
    {
        // Arrange
        var upper = CitizenId.Parse("15010219830707909X", Today);
        var lower = CitizenId.Parse("15010219830707909x", Today);

        // Act
        var equal = upper == lower && upper.GetHashCode() == lower.GetHashCode();

        // Assert
        Assert.True(equal);
        Assert.NotEqual(upper, CitizenId.Parse("33010619901225187X", Today));
    }

    [Fact]
    public void Json_RoundTrip_UsesStringForm()
    {
        // Arrange
        var holder = new Holder(CitizenId.Parse("11010519491231002X", Today));

        // Act
        var json = JsonSerializer.Serialize(holder);
        var back = JsonSerializer.Deserialize<Holder>(json);

        // Assert
        Assert.Equal("""{"Id":"11010519491231002X"}""", json);
        Assert.Equal(holder, back);
    }

    [Fact]
    public void Json_InvalidNumber_ThrowsJsonExceptionWithTheRule()
    {
        // Act
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<CitizenId>("\"11010519491231003X\""));

        // Assert
        Assert.Contains("check character is 'X' but should be '8'", ex.Message, StringComparison.Ordinal);
    }

    private static char ReferenceCheck(string first17)
    {
        int[] weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += (first17[i] - '0') * weights[i];
        }

        return "10X98765432"[sum % 11];
    }

    private sealed record Holder(CitizenId Id);

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
