using System.Text;

namespace CertLibrary.TransparencyLog.Tests;

public sealed class LogEntryTests
{
    /// <summary>A version 1 entry, as written before reason codes: free text in <c>reason</c>.</summary>
    private static readonly LogEntry Sample = new(
        LogEventTypes.Revoke,
        "CERT-2024-000001",
        "kZ3x9Q",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "330100",
        new DateTimeOffset(2024, 5, 1, 16, 30, 0, TimeSpan.FromHours(8)),
        null)
    {
        Version = 1,
        Reason = "证件遗失 \"lost\"\n",
    };

    [Fact]
    public void ToLeafInput_Version2_IsExactCanonicalJsonWithCodeFirstVersion()
    {
        var entry = Sample with { Version = 2, Reason = null, ReasonCode = "keyCompromise" };

        Assert.Equal(
            "{\"v\":2,\"eventType\":\"revoke\",\"certificateId\":\"CERT-2024-000001\",\"kid\":\"kZ3x9Q\","
            + "\"payloadHash\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"departmentCode\":\"330100\","
            + "\"time\":\"2024-05-01T08:30:00Z\",\"reasonCode\":\"keyCompromise\"}",
            Encoding.UTF8.GetString(entry.ToLeafInput()));
        Assert.Equal(entry, LogEntry.FromLeafInput(entry.ToLeafInput()));
        Assert.Equal(2, new LogEntry(LogEventTypes.Issue, "c", null, null, "d", Sample.Time, null).Version);
    }

    [Theory]
    [InlineData("{\"eventType\":\"suspend\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\",\"reason\":\"核查 110101198001010053\"}", 1)]
    [InlineData("{\"v\":2,\"eventType\":\"suspend\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\",\"reasonCode\":\"holderRequest\"}", 2)]
    [InlineData("{\"v\":2,\"eventType\":\"issue\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}", 2)]
    public void FromLeafInput_Version1And2_BothDecodeToTheSameBytes(string json, int version)
    {
        var bytes = Encoding.UTF8.GetBytes(json);

        var entry = LogEntry.FromLeafInput(bytes);

        Assert.Equal(version, entry.Version);
        Assert.Equal(bytes, entry.ToLeafInput());
    }

    [Theory]
    [InlineData("{\"v\":2,\"eventType\":\"suspend\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\",\"reason\":\"核查\"}")]
    [InlineData("{\"eventType\":\"suspend\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\",\"reasonCode\":\"other\"}")]
    [InlineData("{\"v\":2,\"eventType\":\"suspend\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\",\"reasonCode\":\"持证人申请\"}")]
    [InlineData("{\"v\":2,\"eventType\":\"suspend\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\",\"reasonCode\":\"id110101198001010053\"}")]
    [InlineData("{\"v\":1,\"eventType\":\"issue\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}")]
    [InlineData("{\"v\":3,\"eventType\":\"issue\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}")]
    [InlineData("{\"v\":\"2\",\"eventType\":\"issue\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}")]
    [InlineData("{\"v\":2.0,\"eventType\":\"issue\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}")]
    [InlineData("{\"eventType\":\"issue\",\"v\":2,\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}")]
    public void FromLeafInput_MixedOrUnknownVersionsOrFreeTextCode_Rejected(string json)
    {
        Assert.Throws<FormatException>(() => LogEntry.FromLeafInput(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void ToLeafInput_Sample_IsExactCanonicalJson()
    {
        var bytes = Sample.ToLeafInput();

        const string expected =
            "{\"eventType\":\"revoke\",\"certificateId\":\"CERT-2024-000001\",\"kid\":\"kZ3x9Q\","
            + "\"payloadHash\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"departmentCode\":\"330100\","
            + "\"time\":\"2024-05-01T08:30:00Z\",\"reason\":\"证件遗失 \\\"lost\\\"\\n\"}";
        Assert.Equal(Encoding.UTF8.GetBytes(expected), bytes);
    }

    [Fact]
    public void ToLeafInput_NullMembersAndFractionalTime_OmitsNullsAndTrailingZeros()
    {
        var entry = new LogEntry(LogEventTypes.KeyAdded, null, "k1", null, "100000", new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1_230_000), null);

        Assert.Equal(
            "{\"v\":2,\"eventType\":\"key-added\",\"kid\":\"k1\",\"departmentCode\":\"100000\",\"time\":\"2025-01-02T03:04:05.123Z\"}",
            Encoding.UTF8.GetString(entry.ToLeafInput()));
    }

    [Fact]
    public void FromLeafInput_OwnOutput_RoundTrips()
    {
        var fractional = Sample with { Time = Sample.Time.AddTicks(4567), Reason = "\u0001\t\\" };

        Assert.Equal(Sample, LogEntry.FromLeafInput(Sample.ToLeafInput()));
        Assert.Equal(fractional, LogEntry.FromLeafInput(fractional.ToLeafInput()));
        Assert.Equal(fractional.ToLeafInput(), LogEntry.FromLeafInput(fractional.ToLeafInput()).ToLeafInput());
    }

    [Theory]
    [InlineData("{\"eventType\":\"issue\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}", true)]
    [InlineData("{\"eventType\":\"issue\", \"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}", false)]
    [InlineData("{\"certificateId\":\"c\",\"eventType\":\"issue\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}", false)]
    [InlineData("{\"eventType\":\"issue\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\",\"name\":\"张三\"}", false)]
    [InlineData("{\"eventType\":\"issue\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00.000Z\"}", false)]
    [InlineData("{\"eventType\":\"issue\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T16:30:00+08:00\"}", false)]
    [InlineData("{\"eventType\":\"issue\",\"certificateId\":\"\\u0063\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}", false)]
    [InlineData("{\"eventType\":\"issue\",\"certificateId\":null,\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}", false)]
    [InlineData("{\"eventType\":\"issue\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}", false)]
    [InlineData("{\"eventType\":\"delete\",\"certificateId\":\"c\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}", false)]
    [InlineData("{\"eventType\":\"issue\",\"certificateId\":\"c\",\"payloadHash\":\"AAEC\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}", false)]
    [InlineData("{\"eventType\":\"key-revoked\",\"departmentCode\":\"d\",\"time\":\"2024-05-01T08:30:00Z\"}", false)]
    [InlineData("[1,2]", false)]
    [InlineData("not json", false)]
    [InlineData("", false)]
    public void FromLeafInput_AnyInput_AcceptsOnlyCanonicalValidEntries(string json, bool valid)
    {
        var bytes = Encoding.UTF8.GetBytes(json);

        if (valid)
        {
            Assert.Equal(bytes, LogEntry.FromLeafInput(bytes).ToLeafInput());
        }
        else
        {
            Assert.Throws<FormatException>(() => LogEntry.FromLeafInput(bytes));
        }
    }

    [Fact]
    public void ToLeafInput_InvalidEntry_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => (Sample with { EventType = "Revoke" }).ToLeafInput());
        Assert.Throws<InvalidOperationException>(() => (Sample with { CertificateId = null }).ToLeafInput());
        Assert.Throws<InvalidOperationException>(() => (Sample with { DepartmentCode = "" }).ToLeafInput());
        Assert.Throws<InvalidOperationException>(() => (Sample with { PayloadHash = "not base64" }).ToLeafInput());
        Assert.Throws<InvalidOperationException>(() => (Sample with { Reason = "\ud800" }).ToLeafInput());
        Assert.Throws<InvalidOperationException>(() => (Sample with { ReasonCode = "other" }).ToLeafInput());
        Assert.Throws<InvalidOperationException>(() => (Sample with { Version = 2 }).ToLeafInput());
        Assert.Throws<InvalidOperationException>(() => (Sample with { Version = 2, Reason = null, ReasonCode = "证件遗失" }).ToLeafInput());
    }

    [Fact]
    public void LogEntry_Members_HoldNoPersonalDataFields()
    {
        var names = typeof(LogEntry).GetProperties().Select(p => p.Name).Order();

        Assert.Equal(["CertificateId", "DepartmentCode", "EventType", "Kid", "PayloadHash", "Reason", "ReasonCode", "Time", "Version"], names);
    }
}

public sealed class SignedTreeHeadTests
{
    [Fact]
    public void ToSigningInput_Sample_IsRfc6962TreeHeadSignature()
    {
        var root = Convert.FromHexString("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
        var head = new SignedTreeHead(8, 0x0102030405060708, Convert.ToBase64String(root), "sig");

        var input = head.ToSigningInput();

        Assert.Equal(
            "00" + "01" + "0102030405060708" + "0000000000000008" + "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
            TestSupport.Hex(input));
    }

    [Fact]
    public void Create_Time_StoresMillisecondsSinceEpoch()
    {
        var head = SignedTreeHead.Create(3, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), MerkleHash.Empty);

        Assert.Equal(1_700_000_000_123, head.Timestamp);
        Assert.True(head.TryGetRootHash(out var root));
        Assert.Equal(MerkleHash.Empty, root);
        Assert.Null(head.Signature);
    }

    [Theory]
    [InlineData(-1L, 0L, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")]
    [InlineData(1L, -5L, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")]
    [InlineData(1L, 0L, "AAEC")]
    [InlineData(1L, 0L, "@@@")]
    public void ToSigningInput_InvalidHead_Throws(long treeSize, long timestamp, string rootHash)
    {
        Assert.Throws<InvalidOperationException>(() => new SignedTreeHead(treeSize, timestamp, rootHash).ToSigningInput());
    }
}
