/**
 * The inventory types AWS defines (what the agents collect on Linux and Windows), with their
 * attributes and data types as GetInventorySchema shows them. Custom: types get their schema from
 * the first PutInventory that uses them (see store.ts).
 */
export interface TypeSchema {
  typeName: string;
  version: string;
  /** Versions PutInventory accepts for the type. */
  accepts: string[];
  displayName?: string;
  attributes: { name: string; dataType: "string" | "number"; aggregate?: boolean }[];
  /** The attribute the entries table indexes (filters on it with Equal or BeginWith use the index). */
  key?: string;
}

const s = (name: string, aggregate = false) => ({ name, dataType: "string" as const, aggregate });
const n = (name: string) => ({ name, dataType: "number" as const });

const APPLICATION = [
  s("Name", true),
  s("ApplicationType", true),
  s("Publisher", true),
  s("Version", true),
  s("Release"),
  s("Epoch"),
  s("InstalledTime"),
  s("Architecture", true),
  s("URL"),
  s("Summary"),
  s("PackageId"),
];

export const AWS_TYPES: TypeSchema[] = [
  {
    typeName: "AWS:InstanceInformation",
    version: "1.0",
    accepts: ["1.0"],
    displayName: "Instance information",
    key: "InstanceId",
    attributes: [
      s("AgentType", true),
      s("AgentVersion", true),
      s("ComputerName"),
      s("IpAddress"),
      s("PlatformName", true),
      s("PlatformType", true),
      s("PlatformVersion", true),
      s("ResourceType", true),
      s("InstanceId"),
      s("InstanceStatus", true),
    ],
  },
  { typeName: "AWS:Application", version: "1.1", accepts: ["1.0", "1.1"], displayName: "Applications", key: "Name", attributes: APPLICATION },
  { typeName: "AWS:AWSComponent", version: "1.0", accepts: ["1.0"], displayName: "AWS components", key: "Name", attributes: APPLICATION },
  {
    typeName: "AWS:Network",
    version: "1.0",
    accepts: ["1.0"],
    displayName: "Network configuration",
    key: "Name",
    attributes: [s("Name"), s("SubnetMask"), s("Gateway"), s("DHCPServer"), s("DNSServer"), s("MacAddress"), s("IPV4"), s("IPV6")],
  },
  {
    typeName: "AWS:Service",
    version: "1.0",
    accepts: ["1.0"],
    displayName: "Services",
    key: "Name",
    attributes: [s("Name"), s("DisplayName"), s("ServiceType", true), s("Status", true), s("DependentServices"), s("ServicesDependedOn"), s("StartType", true)],
  },
  {
    typeName: "AWS:File",
    version: "1.0",
    accepts: ["1.0"],
    displayName: "Files",
    key: "Name",
    attributes: [
      s("Name"),
      n("Size"),
      s("Description"),
      s("FileVersion"),
      s("InstalledDate"),
      s("ModificationTime"),
      s("LastAccessTime"),
      s("ProductName"),
      s("InstalledDir"),
      s("CompanyName"),
      s("ProductVersion"),
      s("ProductLanguage"),
    ],
  },
  {
    typeName: "AWS:InstanceDetailedInformation",
    version: "1.0",
    accepts: ["1.0"],
    displayName: "Instance detailed information",
    key: "CPUModel",
    attributes: [
      s("CPUModel", true),
      n("CPUSpeedMHz"),
      n("CPUs"),
      n("CPUSockets"),
      n("CPUCores"),
      s("CPUHyperThreadEnabled"),
      s("OSServicePack"),
      s("KernelVersion", true),
    ],
  },
  {
    typeName: "AWS:WindowsUpdate",
    version: "1.0",
    accepts: ["1.0"],
    displayName: "Windows updates",
    key: "HotFixId",
    attributes: [s("HotFixId"), s("Description"), s("InstalledTime"), s("InstalledBy")],
  },
  {
    typeName: "AWS:WindowsRole",
    version: "1.0",
    accepts: ["1.0"],
    displayName: "Windows roles",
    key: "Name",
    attributes: [
      s("Name"),
      s("DisplayName"),
      s("Description"),
      s("Installed"),
      s("InstalledState"),
      s("FeatureType"),
      s("Path"),
      s("SubFeatures"),
      s("ServerComponentDescriptor"),
      s("DependsOn"),
      s("Parent"),
    ],
  },
  {
    typeName: "AWS:WindowsRegistry",
    version: "1.0",
    accepts: ["1.0"],
    displayName: "Windows registry",
    key: "KeyPath",
    attributes: [s("KeyPath"), s("ValueName"), s("ValueType"), s("Value")],
  },
  {
    typeName: "AWS:BillingInfo",
    version: "1.0",
    accepts: ["1.0"],
    displayName: "Billing information",
    key: "BillingProductId",
    attributes: [s("BillingProductId")],
  },
];

const BY_NAME = new Map(AWS_TYPES.map((t) => [t.typeName, t]));

export function awsType(typeName: string): TypeSchema | undefined {
  return BY_NAME.get(typeName);
}

export const INSTANCE_INFORMATION = "AWS:InstanceInformation";

/** AWS's limits on inventory data (what PutInventory refuses beyond). */
export const LIMITS = {
  /** Custom: types per account and region. */
  customTypes: 20,
  /** Attributes of a Custom: type. */
  customAttributes: 50,
  /** One item's Content, as JSON (ItemSizeLimitExceededException). */
  itemBytes: 1024 * 1024,
  /** All items of one call (TotalSizeLimitExceededException). */
  totalBytes: 1024 * 1024,
  /** Entries of one item (the model's limit of InventoryItemEntryList). */
  entries: 10_000,
};
