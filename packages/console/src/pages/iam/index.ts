import type { Area } from "../../app/routes";
import { CreateRole, CreateUser } from "./CreatePrincipal";
import { RoleDetails, UserDetails } from "./PrincipalDetails";
import { RoleList, UserList } from "./PrincipalList";

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
