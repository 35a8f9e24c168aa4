import { type Area, lazyPage } from "../../app/routes";

// Each page is a chunk of its own, loaded when it is first shown.
const CreateRole = lazyPage(
  () => import("./CreatePrincipal"),
  (m) => m.CreateRole,
);
const CreateUser = lazyPage(
  () => import("./CreatePrincipal"),
  (m) => m.CreateUser,
);
const RoleDetails = lazyPage(
  () => import("./PrincipalDetails"),
  (m) => m.RoleDetails,
);
const UserDetails = lazyPage(
  () => import("./PrincipalDetails"),
  (m) => m.UserDetails,
);
const RoleList = lazyPage(
  () => import("./PrincipalList"),
  (m) => m.RoleList,
);
const UserList = lazyPage(
  () => import("./PrincipalList"),
  (m) => m.UserList,
);

/** IAM-style users, roles, inline policies and access keys (the admin API's OpenSSM.* IAM operations). */
export const iamArea: Area = {
  section: "Administration",
  links: [
    { text: "Users", href: "/iam/users" },
    { text: "Roles", href: "/iam/roles" },
  ],
  routes: [
    { path: "/iam/users", title: "Users", component: UserList },
    { path: "/iam/users/create", title: "Create user", component: CreateUser },
    { path: "/iam/users/:name", title: "User", component: UserDetails },
    { path: "/iam/roles", title: "Roles", component: RoleList },
    { path: "/iam/roles/create", title: "Create role", component: CreateRole },
    { path: "/iam/roles/:name", title: "Role", component: RoleDetails },
  ],
};
