using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;

namespace CertLibrary.Api.Infrastructure;

/// <summary>Fills the demo data of SPEC §8 (<c>--seed-demo</c>): two departments and three certificate types. Idempotent.</summary>
public static class DemoSeeder
{
    public const string CivilAffairs = "11100000000013338W";
    public const string Housing = "11110000000021135M";

    public static async Task SeedAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<ICertificateStore>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        await store.AddDepartmentAsync(new Department(CivilAffairs, "民政部", now), cancellationToken);
        await store.AddDepartmentAsync(new Department(Housing, "住房和城乡建设部", now), cancellationToken);

        foreach (var type in Types)
        {
            await store.AddTypeAsync(type, now, cancellationToken);
        }

        await output.WriteLineAsync($"Demo: departments {CivilAffairs} (民政部), {Housing} (住房和城乡建设部); types {string.Join(", ", Types.Select(t => t.Code))}.");
    }

    public static IReadOnlyList<CertificateType> Types { get; } =
    [
        new CertificateType
        {
            Code = CivilAffairs + "001",
            Name = "结婚证",
            Fields =
            [
                new FieldDefinition("spouseName", "string", Required: true, Sensitive: true, Label: "配偶姓名"),
                new FieldDefinition("registeredOn", "date", Required: true, Label: "登记日期"),
                new FieldDefinition("registrationOffice", "string", Required: true, Label: "登记机关"),
            ],
            QrMode = "both",
            Issuers = [CivilAffairs],
            Users = [CivilAffairs, Housing],
        },
        new CertificateType
        {
            Code = CivilAffairs + "002",
            Name = "残疾人证",
            Fields =
            [
                new FieldDefinition("category", "string", Required: true, Label: "残疾类别"),
                new FieldDefinition("grade", "number", Required: true, Label: "残疾等级"),
            ],
            ValidityYears = 10,
            QrMode = "offline",
            QrAlgorithm = "SM2",
            Issuers = [CivilAffairs],
            Users = [CivilAffairs],
        },
        new CertificateType
        {
            Code = Housing + "001",
            Name = "不动产权证书",
            Fields =
            [
                new FieldDefinition("address", "string", Required: true, Sensitive: true, Label: "坐落"),
                new FieldDefinition("area", "number", Required: true, Label: "面积（平方米）"),
                new FieldDefinition("shared", "boolean", Required: false, Label: "共有"),
            ],
            QrMode = "online",
            Issuers = [Housing],
            Users = [Housing, CivilAffairs],
        },
    ];
}
