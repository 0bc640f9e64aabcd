<?php
// The contact form handler: no CAPTCHA, so bots use it to send spam through mail().
$to = 'info@shop.example.com';
$subject = 'Contact form: ' . ($_POST['subject'] ?? '');
$headers = 'From: ' . ($_POST['email'] ?? 'noreply@shop.example.com');
mail($to, $subject, $_POST['message'] ?? '', $headers);
header('Location: /thanks.html');
