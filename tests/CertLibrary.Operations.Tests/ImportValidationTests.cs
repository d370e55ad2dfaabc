namespace CertLibrary.Operations.Tests;

/// <summary>What the importer says about a file before it contacts any server.</summary>
public sealed class ImportValidationTests : IDisposable
{
    // Nothing listens here: a test that reaches the network would fail with exit 3, not 1.
    private const string NoServer = "http://127.0.0.1:9";
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-import-").FullName;

    [Fact]
    public async Task Import_InvalidRows_ReportsEveryLineWithReasonMaskedAndSendsNothing()
    {
        var bad = "110105194913310021"; // birth date 1949-13-31 does not exist
        var file = Write("bad.csv",
            "typeCode,idNumber,name,number,validFrom,validUntil,fields.spouseName\n" +
            $"{Deployment.MarriageType},{Deployment.Holder(1)},甲,N-1,2001-01-01,,乙\n" +
            $"{Deployment.MarriageType},{bad},丙,N-2,2001-01-01,,丁\n" +
            $"{Deployment.MarriageType},11010519491231002Y,戊,N-3,,,己\n" +
            $"11100000000013338W0X1,{Deployment.Holder(2)},庚,N-4,2001-02-30,2000-01-01,辛\n" +
            $"{Deployment.MarriageType},{Deployment.Holder(3)},,N-1,,,壬\n");

        var (exit, output) = await Cli.RunAsync("import", file, "--api", NoServer, "--client-id", "c", "--client-secret", "s");

        Assert.Equal(1, exit);
        Assert.Contains("4 invalid rows (1 valid)", output, StringComparison.Ordinal);
        Assert.Contains("line 3 (110105********0021): idNumber birth date ******** is not a real date", output, StringComparison.Ordinal);
        Assert.Contains("line 4 (110105********002Y): idNumber check character 'Y' must be a digit or X", output, StringComparison.Ordinal);
        Assert.Matches("line 5 .*typeCode .*validFrom expected yyyy-MM-dd", output);
        Assert.Matches("line 6 .*name is required.*number duplicate of line 2", output);
        Assert.DoesNotContain(bad, output, StringComparison.Ordinal);
        Assert.DoesNotContain("19491331", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Deployment.Holder(3), output, StringComparison.Ordinal);
        Assert.Contains("Nothing was imported", output, StringComparison.Ordinal);
        Assert.False(File.Exists(file + ".certlib-state.json"));
    }

    [Fact]
    public async Task Import_OrganizationRows_CreditCodeCheckedPerGb32100_ShownWhole()
    {
        var csv = Write("org.csv",
            "typeCode,idNumber,creditCode,name,number,fields.legalRepresentative\n" +
            $"{Deployment.OrganizationType},,91110108MA01DEM011,北京示范科技有限公司,O-1,张三\n" +
            $"{Deployment.OrganizationType},,91110108MA01DEM012,某公司,O-2,李四\n" +
            $"{Deployment.OrganizationType},{Deployment.Holder(1)},91110108MA01DEM011,某公司,O-3,王五\n" +
            $"{Deployment.OrganizationType},,,某公司,O-4,赵六\n");
        var jsonl = Write("org.jsonl",
            $"{{\"typeCode\":\"{Deployment.OrganizationType}\",\"holder\":{{\"creditCode\":\"91110108MA01DEM011\",\"name\":\"北京示范科技有限公司\"}},\"number\":\"O-1\",\"fields\":{{}}}}\n" +
            $"{{\"typeCode\":\"{Deployment.OrganizationType}\",\"holder\":{{\"creditCode\":\"91110108MA01DEMO11\",\"name\":\"某公司\"}},\"number\":\"O-2\",\"fields\":{{}}}}\n");

        var (csvExit, csvOutput) = await Cli.RunAsync("import", csv, "--api", NoServer, "--client-id", "c", "--validate-only");
        var (jsonExit, jsonOutput) = await Cli.RunAsync("import", jsonl, "--api", NoServer, "--client-id", "c", "--validate-only");

        Assert.Equal(1, csvExit);
        Assert.Contains("3 invalid rows (1 valid)", csvOutput, StringComparison.Ordinal);
        Assert.Contains("line 3 (91110108MA01DEM012): creditCode credit code check character is '2' but should be '1'", csvOutput, StringComparison.Ordinal);
        Assert.Matches("line 4 .*creditCode give either idNumber .* or creditCode", csvOutput);
        Assert.Matches("line 5 .*idNumber is required \\(or creditCode for an organisation\\)", csvOutput);
        Assert.DoesNotContain(Deployment.Holder(1), csvOutput, StringComparison.Ordinal);
        Assert.Equal(1, jsonExit);
        Assert.Contains("line 2 (91110108MA01DEMO11): creditCode", jsonOutput, StringComparison.Ordinal);
        Assert.Contains("is not allowed (I, O, S, V and Z are never used)", jsonOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_CsvQuotingAndJsonLines_AreReadAsTheSameRows()
    {
        var csv = Write("ok.csv",
            "\uFEFFtypeCode,idNumber,name,number,validFrom,fields.registrationOffice,fields.grade:number,fields.shared:boolean\r\n" +
            $"{Deployment.MarriageType},{Deployment.Holder(1).ToLowerInvariant()},\"张, 三\",\"N \"\"1\"\"\",2001-01-01,\"第一行\n第二行\",2,是\r\n" +
            "\r\n" +
            $"{Deployment.MarriageType},{Deployment.Holder(2)},李四,N-2,2001-01-01T08:00:00+08:00,,,\r\n");
        var jsonl = Write("ok.jsonl",
            $"{{\"typeCode\":\"{Deployment.MarriageType}\",\"holder\":{{\"idNumber\":\"{Deployment.Holder(1)}\",\"name\":\"张三\"}},\"number\":\"N-1\",\"fields\":{{\"grade\":2}}}}\n\n" +
            $"{{\"typeCode\":\"{Deployment.MarriageType}\",\"holder\":{{\"idNumber\":\"{Deployment.Holder(2)}\",\"name\":\"李四\"}},\"number\":\"N-2\",\"validUntil\":\"2030-01-01\",\"fields\":{{}}}}\n" +
            "{\"typeCode\": 5, \"holder\": {\"idNumber\": \"x\", \"name\": \"王\", \"age\": 3}, \"number\": \"N-3\", \"extra\": true}\n" +
            "not json\n");

        var (csvExit, csvOutput) = await Cli.RunAsync("import", csv, "--api", NoServer, "--client-id", "c", "--validate-only");
        var (jsonExit, jsonOutput) = await Cli.RunAsync("import", jsonl, "--api", NoServer, "--client-id", "c", "--validate-only");

        Assert.Equal(0, csvExit);
        Assert.Contains("All 2 rows are valid.", csvOutput, StringComparison.Ordinal);
        Assert.Equal(1, jsonExit);
        Assert.Contains("2 invalid rows (2 valid)", jsonOutput, StringComparison.Ordinal);
        Assert.Matches("line 4 \\(\\(1 characters, not shown\\)\\): extra is not a property .*holder.age is not a property .*typeCode must be a string", jsonOutput);
        Assert.Contains("line 5 ((none)): line is not valid JSON", jsonOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_NumberOtherParsersReadDifferently_RowInvalidNamingTheField()
    {
        var csv = Write("numbers.csv",
            "typeCode,idNumber,name,number,fields.grade:number\n" +
            $"{Deployment.MarriageType},{Deployment.Holder(1)},甲,N-1,9007199254740993\n" +
            $"{Deployment.MarriageType},{Deployment.Holder(2)},乙,N-2,2\n");
        var jsonl = Write("numbers.jsonl",
            $"{{\"typeCode\":\"{Deployment.MarriageType}\",\"holder\":{{\"idNumber\":\"{Deployment.Holder(1)}\",\"name\":\"甲\"}},\"number\":\"N-1\",\"fields\":{{\"grade\":1e400}}}}\n" +
            $"{{\"typeCode\":\"{Deployment.MarriageType}\",\"holder\":{{\"idNumber\":\"{Deployment.Holder(2)}\",\"name\":\"乙\"}},\"number\":\"N-2\",\"fields\":{{\"grade\":{new string('9', 5000)}}}}}\n" +
            $"{{\"typeCode\":\"{Deployment.MarriageType}\",\"holder\":{{\"idNumber\":\"{Deployment.Holder(3)}\",\"name\":\"丙\"}},\"number\":\"N-3\",\"fields\":{{\"grade\":-9007199254740991}}}}\n");

        var (csvExit, csvOutput) = await Cli.RunAsync("import", csv, "--api", NoServer, "--client-id", "c", "--validate-only");
        var (jsonExit, jsonOutput) = await Cli.RunAsync("import", jsonl, "--api", NoServer, "--client-id", "c", "--validate-only");

        Assert.Equal(1, csvExit);
        Assert.Contains("1 invalid rows (1 valid)", csvOutput, StringComparison.Ordinal);
        Assert.Matches("line 2 .*fields.grade expected a finite number within ±9007199254740991", csvOutput);
        Assert.Equal(1, jsonExit);
        Assert.Contains("2 invalid rows (1 valid)", jsonOutput, StringComparison.Ordinal);
        Assert.Matches("line 1 .*fields.grade expected a finite number", jsonOutput);
        Assert.Matches("line 2 .*fields.grade expected a finite number", jsonOutput);
    }

    [Fact]
    public async Task Import_BadHeader_NamesTheColumns()
    {
        var file = Write("header.csv", "typeCode,idNumber,name,fields.a:money,colour\nx,y,z,1,2\n");

        var (exit, output) = await Cli.RunAsync("import", file, "--api", NoServer, "--client-id", "c", "--client-secret", "s");

        Assert.Equal(1, exit);
        Assert.Contains("Column 4 'fields.a:money'", output, StringComparison.Ordinal);
        Assert.Contains("Column 5 'colour' is unknown", output, StringComparison.Ordinal);
        Assert.Contains("Required column 'number' is missing.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_NotUtf8_SaysSo()
    {
        var file = Path.Combine(_directory, "gbk.csv");
        await File.WriteAllBytesAsync(file, [.. "typeCode,idNumber,name,number\n"u8.ToArray(), 0xD5, 0xC5, 0xC8, 0xFD, (byte)'\n']);

        var (exit, output) = await Cli.RunAsync("import", file, "--api", NoServer, "--client-id", "c", "--client-secret", "s");

        Assert.Equal(1, exit);
        Assert.Contains("not UTF-8", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_ValidFileButNoServer_ExitsUnavailableWithoutPrintingTheSecret()
    {
        var file = Deployment.WriteLegacyCsv(_directory, 3);

        var (exit, output) = await Cli.RunAsync(["import", file, "--api", NoServer, "--client-id", "c", "--retries", "0"], default,
            new Dictionary<string, string> { ["CERTLIB_CLIENT_SECRET"] = "very-secret-value" });

        Assert.Equal(3, exit);
        Assert.Contains("cannot be reached", output, StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret-value", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_StateOfOtherContentOrBatchSize_IsRefusedBeforeSendingAnything()
    {
        var file = Deployment.WriteLegacyCsv(_directory, 3);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));
        var state = file + ".certlib-state.json";

        File.WriteAllText(state, "{\"fileSha256\":\"" + new string('0', 64) + "\",\"batchSize\":200,\"totalBatches\":1,\"completed\":{}}");
        var (changed, changedOutput) = await Cli.RunAsync("import", file, "--api", NoServer, "--client-id", "c", "--client-secret", "s");
        Assert.Equal(1, changed);
        Assert.Contains("belongs to other content of this file", changedOutput, StringComparison.Ordinal);

        File.WriteAllText(state, "{\"fileSha256\":\"" + hash + "\",\"batchSize\":2,\"totalBatches\":2,\"completed\":{\"1\":{\"created\":2,\"failedLines\":[]}}}");
        var (resized, resizedOutput) = await Cli.RunAsync("import", file, "--api", NoServer, "--client-id", "c", "--client-secret", "s", "--batch-size", "3");
        Assert.Equal(1, resized);
        Assert.Contains("started with --batch-size 2", resizedOutput, StringComparison.Ordinal);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
