using System.Globalization;
using System.Text;
using CertLibrary.Identifiers;

namespace CertLibrary.Operations.Tests;

/// <summary>What a department needs before it can import: itself, a certificate type it issues, and an issuing client.</summary>
public sealed record IssuingClient(string ClientId, string ClientSecret);

public static class Deployment
{
    public const string Department = "11100000000013338W";
    public const string OtherDepartment = "11110000000021135M";
    public const string MarriageType = Department + "001";
    public const string OtherDepartmentsType = OtherDepartment + "001";

    /// <summary>A type held by organisations (holder {creditCode, name}), issued by <see cref="Department"/>.</summary>
    public const string OrganizationType = Department + "101";

    /// <summary>Registers two departments and their types through the admin API, and an issuing client of <see cref="Department"/>.</summary>
    public static async Task<IssuingClient> SetUpAsync(ApiProcess api, ApiProcess.Settings settings)
    {
        using var admin = await api.AdminAsync(settings);
        await ApiProcess.PostAsync(admin, "api/v1/admin/departments", new { code = Department, name = "民政部" });
        await ApiProcess.PostAsync(admin, "api/v1/admin/departments", new { code = OtherDepartment, name = "住房和城乡建设部" });
        await ApiProcess.PostAsync(admin, "api/v1/admin/certificate-types", new
        {
            code = MarriageType,
            name = "结婚证",
            fields = new object[]
            {
                new { name = "spouseName", type = "string", required = true, sensitive = true },
                new { name = "registeredOn", type = "date", required = true, sensitive = false },
                new { name = "registrationOffice", type = "string", required = true, sensitive = false },
            },
            qrMode = "both",
            issuers = new[] { Department },
            users = new[] { Department },
        });
        await ApiProcess.PostAsync(admin, "api/v1/admin/certificate-types", new
        {
            code = OtherDepartmentsType,
            name = "不动产权证书",
            fields = new object[] { new { name = "address", type = "string", required = true, sensitive = true } },
            issuers = new[] { OtherDepartment },
            users = new[] { OtherDepartment },
        });
        await ApiProcess.PostAsync(admin, "api/v1/admin/certificate-types", new
        {
            code = OrganizationType,
            name = "社会团体法人登记证书",
            holderKind = "organization",
            fields = new object[] { new { name = "legalRepresentative", type = "string", required = true } },
            issuers = new[] { Department },
            users = new[] { Department },
        });
        var client = await ApiProcess.PostAsync(admin, "api/v1/admin/clients", new { departmentCode = Department, name = "补录 importer", scopes = new[] { "certlib.issue", "certlib.use" } });
        return new IssuingClient(client.GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!);
    }

    /// <summary>A 补录 CSV of <paramref name="rows"/> marriage certificates with distinct holders and licence numbers.</summary>
    public static string WriteLegacyCsv(string directory, int rows, string name = "legacy.csv")
    {
        var csv = new StringBuilder("typeCode,idNumber,name,number,validFrom,fields.spouseName,fields.registeredOn:date,fields.registrationOffice\n");
        for (var i = 0; i < rows; i++)
        {
            csv.Append(CultureInfo.InvariantCulture,
                $"{MarriageType},{Holder(i)},持证人{i},J110105-1998-{i:D6},1998-03-{1 + (i % 28):D2},配偶{i},1998-03-{1 + (i % 28):D2},\"北京市西城区民政局, 婚姻登记处\"\n");
        }

        var path = Path.Combine(directory, name);
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    /// <summary>The i-th synthetic identity number: valid GB 11643, distinct for each i.</summary>
    public static string Holder(int i) => CitizenId.Create("110105", new DateOnly(1960, 1, 1).AddDays(i / 500), i % 500 + 1).ToString();
}
