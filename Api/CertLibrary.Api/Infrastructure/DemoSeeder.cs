using System.Security.Cryptography;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.CertStore.Stores;
using CertLibrary.Identifiers;
using CertLibrary.Identity;

namespace CertLibrary.Api.Infrastructure;

/// <summary>Fills the demo data of SPEC §8 (<c>--seed-demo</c>): two departments, three certificate types, two service items, clients and a citizen. Idempotent; credentials are printed once, when created.</summary>
public static class DemoSeeder
{
    public const string CivilAffairs = "11100000000013338W";
    public const string Housing = "11110000000021135M";

    /// <summary>The identity number GB 11643 itself publishes as its example; not a real person's.</summary>
    public const string DemoCitizenNumber = "11010519491231002X";

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

        var items = services.GetRequiredService<IServiceItemStore>();
        foreach (var item in ServiceItems)
        {
            await items.AddAsync(item, now, cancellationToken);
        }

        var clients = services.GetRequiredService<ClientManager>();
        var existing = await clients.ListAsync(cancellationToken);
        if (!existing.Any(c => c.Name.StartsWith("Demo ", StringComparison.Ordinal)))
        {
            var admin = await clients.CreateAsync(null, "Demo administrator", ["certlib.admin"], cancellationToken: cancellationToken);
            var civil = await clients.CreateAsync(CivilAffairs, "Demo 民政部 issuing client", ["certlib.issue", "certlib.use", "certlib.verify"], cancellationToken: cancellationToken);
            var housing = await clients.CreateAsync(Housing, "Demo 住建部 client", ["certlib.issue", "certlib.use", "certlib.verify"], cancellationToken: cancellationToken);
            await output.WriteLineAsync("Demo clients (secrets are shown only now):");
            await output.WriteLineAsync($"  administrator  {admin.ClientId} {admin.ClientSecret}");
            await output.WriteLineAsync($"  民政部          {civil.ClientId} {civil.ClientSecret}");
            await output.WriteLineAsync($"  住建部          {housing.ClientId} {housing.ClientSecret}");
        }

        var citizens = services.GetRequiredService<CitizenManager>();
        var demoCitizen = CitizenId.Parse(DemoCitizenNumber);
        if (await citizens.FindByCitizenIdAsync(demoCitizen, cancellationToken) is null)
        {
            var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12));
            await citizens.RegisterAsync(demoCitizen, "张三", password, cancellationToken);
            await output.WriteLineAsync($"Demo citizen 张三: identity number {demoCitizen.Masked} (GB 11643's published example, see README), password {password}");
        }

        await output.WriteLineAsync($"Demo: departments {CivilAffairs} (民政部), {Housing} (住房和城乡建设部); types {string.Join(", ", Types.Select(t => t.Code))}.");
    }

    /// <summary>Two demo service items (政务服务事项) over the demo types.</summary>
    public static IReadOnlyList<ServiceItem> ServiceItems { get; } =
    [
        new ServiceItem("DEMO-HF-001", "住房公积金提取（购买自住住房）",
            [new ServiceMaterial(Housing + "001", Required: true), new ServiceMaterial(CivilAffairs + "001", Required: false)],
            new ServiceGuide("《住房公积金管理条例》第二十四条", "住房公积金管理中心", 5)),
        new ServiceItem("DEMO-CA-001", "困难残疾人生活补贴和重度残疾人护理补贴申请",
            [new ServiceMaterial(CivilAffairs + "002", Required: true), new ServiceMaterial(CivilAffairs + "001", Required: false)],
            new ServiceGuide("《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》", "县级民政部门", 20)),
    ];

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
            QrSuites = ["SM2"],
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
