using System.Text.Json.Nodes;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.Identifiers;

namespace CertLibrary.CertStore.Tests;

/// <summary>Departments, a certificate type and requests shared by the store tests (published example codes, SPEC §2).</summary>
public static class TestData
{
    public const string IssuerA = "11100000000013338W";
    public const string IssuerB = "11110000000021135M";
    public const string UserC = "91350100M000100Y43";
    public const string TypeA = IssuerA + "001";
    public const string HolderNumber = "11010519491231002X";
    public const string TypeOrg = IssuerA + "201";

    /// <summary>An organisation holder: a credit code whose check character GB 32100 computes.</summary>
    public static readonly string Organization = CreditCode.Create("91110108MA01GH7K2").ToString();

    public static async Task SeedAsync(StoreNode node)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (code, name) in new[] { (IssuerA, "民政部"), (IssuerB, "住建部"), (UserC, "某市政务服务中心") })
        {
            await node.Store.AddDepartmentAsync(new Department(code, name, now), default);
        }

        await node.Store.AddTypeAsync(new CertificateType
        {
            Code = TypeA,
            Name = "结婚证",
            Fields = [new("spouseName", "string", true, true), new("registeredOn", "date", true), new("children", "number", false), new("joint", "boolean", false)],
            ValidityYears = 10,
            Issuers = [IssuerA],
            Users = [IssuerA, UserC],
        }, now, default);
        await node.Store.AddTypeAsync(new CertificateType
        {
            Code = TypeOrg,
            Name = "营业执照",
            HolderKind = HolderKinds.Organization,
            Fields = [new("legalRepresentative", "string", true), new("registeredCapital", "number", false)],
            Issuers = [IssuerA],
            Users = [IssuerA, UserC],
        }, now, default);
    }

    /// <summary>An issue command for an organisation holder of <see cref="TypeOrg"/>.</summary>
    public static IssueCommand OrganizationRequest(string? creditCode = null, string type = TypeOrg) => new()
    {
        Type = CertificateTypeCode.Parse(type),
        Holder = HolderId.ForOrganization(CreditCode.Parse(creditCode ?? Organization)),
        HolderName = "北京某某科技有限公司",
        Number = "Y" + Guid.NewGuid().ToString("N")[..10],
        Fields = new JsonObject { ["legalRepresentative"] = "张小三", ["registeredCapital"] = 1000000 },
    };

    /// <summary>An issue command as the API maps it: a malformed <paramref name="idNumber"/> travels as its input error.</summary>
    public static IssueCommand Request(string idNumber = HolderNumber, string? number = null, JsonObject? fields = null)
    {
        var parsed = CitizenId.TryParse(idNumber, out var holder, out var error);
        return new IssueCommand
        {
            Type = CertificateTypeCode.Parse(TypeA),
            Holder = parsed ? holder : null,
            HolderName = "张小三",
            Number = number ?? "J" + Guid.NewGuid().ToString("N")[..10],
            Fields = fields ?? new JsonObject { ["spouseName"] = "李四", ["registeredOn"] = "2020-05-20" },
            InputErrors = parsed ? CommandErrors.None : new Dictionary<string, string[]> { ["holder.idNumber"] = [error!] },
        };
    }
}
