using System.Text.Json;

namespace CertLibrary.Identifiers.Tests;

public sealed class CertificateIdTests
{
    private const string Published = "1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.Y";
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static readonly CertificateTypeCode Type = CertificateTypeCode.Parse("11100000000013338W011");
    private static readonly CreditCode Issuer = CreditCode.Parse("11110000000021135M");

    [Fact]
    public void TryParse_PublishedExample_SucceedsWithItsParts()
    {
        // Act
        var ok = CertificateId.TryParse(Published, out var id, out var error);

        // Assert
        Assert.True(ok, error);
        Assert.Equal(Published, id.ToString());
        Assert.Equal(Type, id.TypeCode);
        Assert.Equal(Issuer, id.Issuer);
        Assert.Equal("20230329701", id.Serial);
        Assert.Equal(3, id.Version);
        Assert.Equal('Y', id.Check);
    }

    [Fact]
    public void ComputeCheck_PublishedBody_ReturnsY()
    {
        // Act
        var check = CertificateId.ComputeCheck("11100000000013338W011" + "11110000000021135M" + "20230329701" + "003");

        // Assert
        Assert.Equal('Y', check);
    }

    [Fact]
    public void ComputeCheck_IsoStandardExample_ReturnsM()
    {
        // Act: the example ISO/IEC 7064 gives for MOD 37,36.
        var check = CertificateId.ComputeCheck("A12425GABC1234002");

        // Assert
        Assert.Equal('M', check);
    }

    [Fact]
    public void ComputeCheck_ShortBody_MatchesHandComputation()
    {
        // Arrange: MOD 37,36 by hand for "K3Z", P starting at M = 36.
        //   'K' = 20: S = (36 + 20) mod 36 = 20;  P = 2·20 mod 37 = 40 mod 37 = 3
        //   '3' =  3: S = ( 3 +  3) mod 36 =  6;  P = 2·6  mod 37 = 12
        //   'Z' = 35: S = (12 + 35) mod 36 = 11;  P = 2·11 mod 37 = 22
        //   check value c makes (P + c) mod 36 = 1: c = (37 - 22) mod 36 = 15 = 'F'
        const string body = "K3Z";

        // Act
        var check = CertificateId.ComputeCheck(body);

        // Assert
        Assert.Equal('F', check);
    }

    [Fact]
    public void ComputeCheck_IntermediateZero_ReplacedByModulus()
    {
        // Arrange: for "0", S = (36 + 0) mod 36 = 0, which becomes 36; P = 72 mod 37 = 35; c = (37 - 35) mod 36 = 2.
        // Without the replacement P would be 0 and the check '1'.
        const string body = "0";

        // Act
        var check = CertificateId.ComputeCheck(body);

        // Assert
        Assert.Equal('2', check);
    }

    [Fact]
    public void ComputeCheck_BodyWhoseLastStepHitsZero_MatchesReferenceAndRoundTrips()
    {
        // Arrange: brute-force serials until the last step of the reference computation has S = 0 (replaced by 36).
        string? serial = null;
        string? body = null;
        for (var n = 0; serial is null; n++)
        {
            var candidate = n.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
            var candidateBody = Type.ToString() + Issuer + candidate + "001";
            if (Reference(candidateBody).LastStepWasZero)
            {
                (serial, body) = (candidate, candidateBody);
            }
        }

        // Act
        var check = CertificateId.ComputeCheck(body);
        var id = CertificateId.Create(Type, Issuer, serial, 1);
        var reparsed = CertificateId.Parse(id.ToString());

        // Assert
        Assert.Contains(check, Alphabet);
        Assert.Equal(Reference(body!).Check, check);
        Assert.NotEqual(ReferenceWithoutReplacement(body!), check);
        Assert.Equal(check, id.Check);
        Assert.Equal(id, reparsed);
    }

    [Fact]
    public void ComputeCheck_RandomBodies_MatchesReference()
    {
        // Arrange
        var random = new Random(7064);

        for (var n = 0; n < 2000; n++)
        {
            var body = string.Concat(Enumerable.Range(0, random.Next(1, 80)).Select(_ => Alphabet[random.Next(36)]));

            // Act
            var check = CertificateId.ComputeCheck(body);

            // Assert
            Assert.Equal(Reference(body).Check, check);
        }
    }

    [Fact]
    public void TryParse_EverySingleCharacterSubstitution_IsRejected()
    {
        // Arrange: positions of the body characters and of the check character (everything after the root but the dots).
        var accepted = new List<string>();
        var undetectedByCheck = new List<string>();

        for (var i = CertificateId.Root.Length; i < Published.Length; i++)
        {
            if (Published[i] == '.')
            {
                continue;
            }

            foreach (var replacement in Alphabet)
            {
                if (replacement == Published[i])
                {
                    continue;
                }

                var mutated = string.Concat(Published.AsSpan(0, i), [replacement], Published.AsSpan(i + 1));

                // Act
                if (CertificateId.TryParse(mutated, out _, out _))
                {
                    accepted.Add(mutated);
                }

                var parts = mutated[CertificateId.Root.Length..].Split('.');
                if (CertificateId.ComputeCheck(string.Concat(parts[..4])) == parts[4][0])
                {
                    undetectedByCheck.Add(mutated);
                }
            }
        }

        // Assert: rejected by the parser, and by MOD 37,36 alone.
        Assert.Empty(accepted);
        Assert.Empty(undetectedByCheck);
    }

    [Theory]
    [InlineData(null, "certificate identifier is empty")]
    [InlineData("", "certificate identifier is empty")]
    [InlineData(" ", "certificate identifier is empty")]
    [InlineData("1.2.156.3005.3.11100000000013338W011.11110000000021135M.20230329701.003.Y", "must start with '1.2.156.3005.2.'")]
    [InlineData("1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003", "must have 5 dot-separated parts after the root")]
    [InlineData("1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.Y.", "must have 5 dot-separated parts after the root")]
    [InlineData("1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.Z", "check character is 'Z' but should be 'Y'")]
    [InlineData("1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.YY", "check 'YY' must be one character")]
    [InlineData("1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.y", "check 'y' must be one character 0-9 or A-Z")]
    [InlineData("1.2.156.3005.2.11100000000013338X011.11110000000021135M.20230329701.003.Y", "defining credit code check character is 'X' but should be 'W'")]
    [InlineData("1.2.156.3005.2.11100000000013338w011.11110000000021135M.20230329701.003.Y", "type code character 'w' at position 18 must be upper case")]
    [InlineData("1.2.156.3005.2.11100000000013338W011.11110000000021135m.20230329701.003.Y", "issuer code character 'm' at position 18 must be upper case")]
    [InlineData("1.2.156.3005.2.11100000000013338W011.11110000000021135N.20230329701.003.Y", "issuer code check character is 'N' but should be 'M'")]
    [InlineData("1.2.156.3005.2.11100000000013338W011.11110000000021135M..003.Y", "serial must have 1 to 32 characters but has 0")]
    [InlineData("1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.03.Y", "version '03' must be 3 digits")]
    [InlineData("1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.00A.Y", "version '00A' must be 3 digits")]
    public void TryParse_InvalidIdentifier_FailsNamingTheRule(string? text, string expectedError)
    {
        // Act
        var ok = CertificateId.TryParse(text, out var id, out var error);

        // Assert
        Assert.False(ok);
        Assert.Equal(default, id);
        Assert.NotNull(error);
        Assert.Contains(expectedError, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("000", "version 000 is out of range; versions run from 001 to 999")]
    [InlineData("1000", "version '1000' must be 3 digits")]
    public void TryParse_VersionOutOfRange_IsRejected(string version, string expectedError)
    {
        // Arrange: a correct check character, so only the version rule can fail.
        var text = WithCheck("20230329701", version);

        // Act
        var ok = CertificateId.TryParse(text, out _, out var error);

        // Assert
        Assert.False(ok);
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void TryParse_Serial32Characters_IsAccepted()
    {
        // Arrange
        var text = WithCheck(new string('Z', 32), "001");

        // Act
        var ok = CertificateId.TryParse(text, out var id, out var error);

        // Assert
        Assert.True(ok, error);
        Assert.Equal(32, id.Serial.Length);
    }

    [Fact]
    public void TryParse_Serial33Characters_IsRejected()
    {
        // Arrange
        var text = WithCheck(new string('Z', 33), "001");

        // Act
        var ok = CertificateId.TryParse(text, out _, out var error);

        // Assert
        Assert.False(ok);
        Assert.Equal("serial must have 1 to 32 characters but has 33", error);
    }

    [Theory]
    [InlineData("20230329a01", "serial character 'a' at position 9 is not 0-9 or upper-case A-Z")]
    [InlineData("2023-0329701", "serial character '-' at position 5 is not 0-9 or upper-case A-Z")]
    public void TryParse_SerialWithForbiddenCharacter_IsRejected(string serial, string expectedError)
    {
        // Arrange: the check is computed over the upper-case serial, so only the serial rule can fail.
        var text = $"{CertificateId.Root}{Type}.{Issuer}.{serial}.001.{CertificateId.ComputeCheck($"{Type}{Issuer}{serial.ToUpperInvariant().Replace("-", "", StringComparison.Ordinal)}001")}";

        // Act
        var ok = CertificateId.TryParse(text, out _, out var error);

        // Assert
        Assert.False(ok);
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void NewRandom_ThousandIdentifiers_AreDistinctParseableWith20CharacterSerials()
    {
        // Act
        var ids = Enumerable.Range(0, 1000).Select(_ => CertificateId.NewRandom(Type, Issuer)).ToList();

        // Assert
        Assert.All(ids, id =>
        {
            Assert.Equal(20, id.Serial.Length);
            Assert.All(id.Serial, c => Assert.Contains(c, Alphabet));
            Assert.Equal(1, id.Version);
            Assert.Equal(Type, id.TypeCode);
            Assert.Equal(Issuer, id.Issuer);
            Assert.Equal(id, CertificateId.Parse(id.ToString()));
        });
        Assert.Equal(1000, ids.Select(id => id.Serial).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void NewRandom_ManySerials_UseTheWholeAlphabet()
    {
        // Act: 20,000 characters; each of the 36 is expected about 555 times.
        var counts = Enumerable.Range(0, 1000)
            .SelectMany(_ => CertificateId.NewRandom(Type, Issuer).Serial)
            .GroupBy(c => c)
            .ToDictionary(g => g.Key, g => g.Count());

        // Assert
        Assert.Equal(36, counts.Count);
        Assert.All(counts.Values, count => Assert.InRange(count, 400, 720));
    }

    [Fact]
    public void NextVersion_PublishedExample_IncrementsVersionAndKeepsTheRest()
    {
        // Arrange
        var id = CertificateId.Parse(Published);

        // Act
        var next = id.NextVersion();

        // Assert
        Assert.Equal(4, next.Version);
        Assert.Equal(id.Serial, next.Serial);
        Assert.Equal(id.TypeCode, next.TypeCode);
        Assert.Equal(id.Issuer, next.Issuer);
        Assert.StartsWith("1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.004.", next.ToString(), StringComparison.Ordinal);
        Assert.Equal(next, CertificateId.Parse(next.ToString()));
        Assert.NotEqual(id, next);
    }

    [Fact]
    public void NextVersion_Version999_Throws()
    {
        // Arrange
        var id = CertificateId.Create(Type, Issuer, "20230329701", 999);

        // Act
        var ex = Record.Exception(() => id.NextVersion());

        // Assert
        Assert.IsType<InvalidOperationException>(ex);
        Assert.Contains("999", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_PublishedParts_ReproducesPublishedExample()
    {
        // Act
        var id = CertificateId.Create(Type, Issuer, "20230329701", 3);

        // Assert
        Assert.Equal(Published, id.ToString());
    }

    [Theory]
    [InlineData("", 1)]
    [InlineData("abc", 1)]
    [InlineData("ABC", 0)]
    [InlineData("ABC", 1000)]
    public void Create_InvalidSerialOrVersion_Throws(string serial, int version)
    {
        // Act
        var ex = Record.Exception(() => CertificateId.Create(Type, Issuer, serial, version));

        // Assert
        Assert.IsAssignableFrom<ArgumentException>(ex);
    }

    [Fact]
    public void Json_RoundTrip_UsesStringForm()
    {
        // Arrange
        var holder = new Holder(CertificateId.Parse(Published), Type, Issuer);

        // Act
        var json = JsonSerializer.Serialize(holder);
        var back = JsonSerializer.Deserialize<Holder>(json);

        // Assert
        Assert.Equal($$"""{"Id":"{{Published}}","Type":"11100000000013338W011","Issuer":"11110000000021135M"}""", json);
        Assert.Equal(holder, back);
    }

    [Theory]
    [InlineData("\"1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.Z\"", "check character is 'Z' but should be 'Y'")]
    [InlineData("null", "certificate identifier is empty")]
    [InlineData("42", "expected a JSON string but found Number")]
    public void Json_InvalidIdentifier_ThrowsJsonExceptionWithTheRule(string json, string expectedError)
    {
        // Act
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<CertificateId>(json));

        // Assert
        Assert.Contains(expectedError, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_DictionaryKey_RoundTrips()
    {
        // Arrange
        var map = new Dictionary<CertificateId, int> { [CertificateId.Parse(Published)] = 3 };

        // Act
        var back = JsonSerializer.Deserialize<Dictionary<CertificateId, int>>(JsonSerializer.Serialize(map));

        // Assert
        Assert.Equal(map, back);
    }

    private static string WithCheck(string serial, string version) =>
        $"{CertificateId.Root}{Type}.{Issuer}.{serial}.{version}.{CertificateId.ComputeCheck($"{Type}{Issuer}{serial}{version}")}";

    // Independent MOD 37,36 (ISO/IEC 7064 hybrid system, M = 36) that also reports the 0 → 36 replacement.
    private static (char Check, bool LastStepWasZero) Reference(string body)
    {
        var p = 36;
        var lastZero = false;
        foreach (var ch in body)
        {
            var s = (p + Alphabet.IndexOf(ch, StringComparison.Ordinal)) % 36;
            lastZero = s == 0;
            if (lastZero)
            {
                s = 36;
            }

            p = (s * 2) % 37;
        }

        return (Alphabet[(37 - p) % 36], lastZero);
    }

    // The common mistake: no 0 → 36 replacement.
    private static char ReferenceWithoutReplacement(string body)
    {
        var p = 36;
        foreach (var ch in body)
        {
            p = ((p + Alphabet.IndexOf(ch, StringComparison.Ordinal)) % 36 * 2) % 37;
        }

        return Alphabet[(37 - p) % 36];
    }

    private sealed record Holder(CertificateId Id, CertificateTypeCode Type, CreditCode Issuer);
}
