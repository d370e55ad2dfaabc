using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CertLibrary.CertStore.Certificates;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.CertStore.Representatives;
using CertLibrary.CertStore.Stores;
using CertLibrary.Identifiers;
using CertLibrary.Identity;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// Fills the demo data of SPEC §8 (<c>--seed-demo</c>): the departments, certificate types (two of them held by
/// organisations), service items, clients, a citizen, and a demo company whose legal representative is the demo citizen.
/// Idempotent; credentials are printed once, when created.
/// </summary>
public static class DemoSeeder
{
    public const string CivilAffairs = "11100000000013338W";
    public const string Housing = "11110000000021135M";

    /// <summary>The market-regulation department (市场监督管理局): issues business licences and hygiene permits.</summary>
    public const string MarketRegulation = "11100000000013127D";

    /// <summary>营业执照, held by organisations.</summary>
    public const string BusinessLicenceType = MarketRegulation + "001";

    /// <summary>公共场所卫生许可证 with its A/B/C grade, held by organisations.</summary>
    public const string HygienePermitType = MarketRegulation + "002";

    /// <summary>The demo company's credit code (check character per GB 32100; not a real registration).</summary>
    public const string DemoCompanyCode = "91110108MA01DEM011";

    public const string DemoCompanyName = "北京示范科技有限公司";

    /// <summary>The identity number GB 11643 itself publishes as its example; not a real person's.</summary>
    public const string DemoCitizenNumber = "11010519491231002X";

    public static async Task SeedAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<ICertificateStore>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        await store.AddDepartmentAsync(new Department(CivilAffairs, "民政部", now), cancellationToken);
        await store.AddDepartmentAsync(new Department(Housing, "住房和城乡建设部", now), cancellationToken);
        await store.AddDepartmentAsync(new Department(MarketRegulation, "市场监督管理局", now), cancellationToken);

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
            var market = await clients.CreateAsync(MarketRegulation, "Demo 市场监管 client", ["certlib.issue", "certlib.use", "certlib.verify"], cancellationToken: cancellationToken);
            await output.WriteLineAsync("Demo clients (secrets are shown only now):");
            await output.WriteLineAsync($"  administrator  {admin.ClientId} {admin.ClientSecret}");
            await output.WriteLineAsync($"  民政部          {civil.ClientId} {civil.ClientSecret}");
            await output.WriteLineAsync($"  住建部          {housing.ClientId} {housing.ClientSecret}");
            await output.WriteLineAsync($"  市场监管        {market.ClientId} {market.ClientSecret}");
        }

        var citizens = services.GetRequiredService<CitizenManager>();
        var demoCitizen = CitizenId.Parse(DemoCitizenNumber);
        if (await citizens.FindByCitizenIdAsync(demoCitizen, cancellationToken) is null)
        {
            var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12));
            await citizens.RegisterAsync(demoCitizen, "张三", password, cancellationToken);
            await output.WriteLineAsync($"Demo citizen 张三: identity number {demoCitizen.Masked} (GB 11643's published example, see README), password {password}");
        }

        await output.WriteLineAsync($"Demo: departments {CivilAffairs} (民政部), {Housing} (住房和城乡建设部), {MarketRegulation} (市场监督管理局); types {string.Join(", ", Types.Select(t => t.Code))}.");
    }

    /// <summary>
    /// The demo company, after <see cref="SeedAsync"/>: a business licence and a hygiene permit (grade A) issued by the
    /// market-regulation department, and the demo citizen as its legal representative. Idempotent.
    /// </summary>
    public static async Task SeedDemoCompanyAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        var representative = CitizenId.Parse(DemoCitizenNumber);
        var company = CreditCode.Parse(DemoCompanyCode);
        var certificates = services.GetRequiredService<CertificateManager>();
        var market = new Caller("demo-seed", MarketRegulation, IsAdmin: false);
        if ((await certificates.ListByHolderAsync(HolderId.ForOrganization(company), market, cancellationToken)).Count == 0)
        {
            var holder = HolderId.ForOrganization(company);
            IssueCommand[] commands =
            [
                new()
                {
                    Type = CertificateTypeCode.Parse(BusinessLicenceType), Holder = holder, HolderName = DemoCompanyName, Number = "DEMO-YYZZ-0001",
                    Fields = new JsonObject
                    {
                        ["companyType"] = "有限责任公司", ["legalRepresentative"] = "张三", ["registeredCapital"] = 1000000,
                        ["establishedOn"] = "2020-06-01", ["address"] = "北京市海淀区示范路 1 号", ["businessScope"] = "技术开发、技术服务",
                    },
                },
                new()
                {
                    Type = CertificateTypeCode.Parse(HygienePermitType), Holder = holder, HolderName = DemoCompanyName, Number = "DEMO-WSXK-0001",
                    Fields = new JsonObject { ["premises"] = "示范咖啡馆", ["address"] = "北京市海淀区示范路 1 号", ["category"] = "咖啡馆", ["grade"] = "A" },
                },
            ];
            var issued = await certificates.IssueBatchAsync(market, commands, null, cancellationToken);
            if (!issued.Succeeded || issued.Value!.Any(i => i.Error is not null))
            {
                throw new InvalidOperationException("The demo company's certificates could not be issued: " + (issued.Error ?? issued.Value!.First(i => i.Error is not null).Error)!.Detail);
            }
        }

        var representatives = services.GetRequiredService<RepresentativeManager>();
        if (!(await representatives.OrganizationsOfAsync(representative, cancellationToken)).Any(o => o.CreditCode == DemoCompanyCode))
        {
            var link = await representatives.LinkAsync(new Caller("demo-seed", null, IsAdmin: true),
                new LinkRepresentativeCommand(company, representative, RepresentativeRoles.LegalRepresentative, null), cancellationToken);
            if (!link.Succeeded)
            {
                throw new InvalidOperationException("The demo citizen could not be linked to the demo company: " + link.Error!.Detail);
            }

            await output.WriteLineAsync($"Demo company {DemoCompanyName} ({DemoCompanyCode}): 营业执照 and 公共场所卫生许可证 (grade A); legal representative: the demo citizen.");
        }
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
        new ServiceItem("DEMO-MR-001", "公共场所卫生许可证延续",
            [new ServiceMaterial(BusinessLicenceType, Required: true), new ServiceMaterial(HygienePermitType, Required: true)],
            new ServiceGuide("《公共场所卫生管理条例》第八条", "市场监督管理局", 20)),
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
        new CertificateType
        {
            Code = BusinessLicenceType,
            Name = "营业执照",
            HolderKind = HolderKinds.Organization,
            Fields =
            [
                new FieldDefinition("companyType", "string", Required: true, Label: "类型"),
                new FieldDefinition("legalRepresentative", "string", Required: true, Label: "法定代表人"),
                new FieldDefinition("registeredCapital", "number", Required: false, Label: "注册资本（元）"),
                new FieldDefinition("establishedOn", "date", Required: true, Label: "成立日期"),
                new FieldDefinition("address", "string", Required: true, Label: "住所"),
                new FieldDefinition("businessScope", "string", Required: true, Label: "经营范围"),
            ],
            QrMode = "both",
            Issuers = [MarketRegulation],
            Users = [MarketRegulation, CivilAffairs, Housing],
        },
        new CertificateType
        {
            Code = HygienePermitType,
            Name = "公共场所卫生许可证",
            HolderKind = HolderKinds.Organization,
            Fields =
            [
                new FieldDefinition("premises", "string", Required: true, Label: "单位名称（场所）"),
                new FieldDefinition("address", "string", Required: true, Label: "地址"),
                new FieldDefinition("category", "string", Required: true, Label: "许可项目"),
                new FieldDefinition("grade", "string", Required: true, Label: "卫生信誉度等级（A/B/C）"),
            ],
            ValidityYears = 4,
            QrMode = "both",
            Issuers = [MarketRegulation],
            Users = [MarketRegulation, Housing],
        },
    ];
}
