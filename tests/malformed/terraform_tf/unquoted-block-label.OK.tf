variable instance_type {
}
